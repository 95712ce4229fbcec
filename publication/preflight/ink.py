"""Preflight of total ink at the resolution that prints: the print file rendered by Ghostscript in
CMYK at 300 dpi inside the TrimBox, each pixel's four inks added up, and every connected area above
`print.max_ink` larger than 1 mm² reported, as a print shop's preflight measures it (a single pixel
above the limit does no harm; a patch the size of a letter does). An area on a placed photo names
the photo and its `file:line`.

Ghostscript's `pamcmyk32` device gives the same four plates as `tiffsep` for a file without spot
colours (the print file has none: theme colours are CMYK, the registration colour of the crop marks
lies outside the trim), three times faster, and streams them through a pipe page by page instead of
writing some 70 MB of TIFF per A4 page to disk. tests/test_print_shop.py compares the two.

The measurement also makes the small pictures of the separations the HTML report shows, as Acrobat's
Output Preview would: each plate, and the total ink with the areas above the limit in a signal colour.
Each page's measurement is kept in `.cache/ink` under the digest of everything that draws the page
(core.pdf.page_digests), so a rebuild renders in Ghostscript only the pages that changed; a first build,
which measures every page, shares them among one Ghostscript per core.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import math
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import pikepdf
from PIL import Image

from ..core.dist import cache_folder, keep_in_cache
from ..core.pdf import page_digests
from ..core.problems import Code, Problem
from ..core.units import MM_PER_INCH, PX_PER_MM
from .report import _error, _warning

INK_DPI = 300
"""The resolution photos are printed at: the check sees every pixel the press will."""
MIN_AREA_MM2 = 1.0
"""Areas above the limit smaller than this are noise to a press (and to the print shops' checks)."""
TOLERANCE = 1.0
"""Percent above max_ink that is 8-bit rounding (0.2 % per plate), not too much ink."""
AREAS_PER_PAGE = 5
"""The largest areas of a page each get a finding; more are counted in one more."""
PLATES = ("cyan", "magenta", "yellow", "black")
PICTURE_WIDTH = 150
"""Pixels across of each separation picture in the report."""
SIGNAL = (255, 0, 170)
"""The colour of the areas above the limit in the total-ink picture (as Acrobat's highlight)."""
CACHE_VERSION = 2
CACHE_KEPT_PAGES = 400
"""Pages' measurements kept in .cache/ink (the newest); each is about 50 kB."""


def ink_cache_dir(project) -> Path:
    """Where the ink check keeps its measurements, beside the build's prepared photos."""
    return cache_folder(project.root, "ink")


@dataclass(frozen=True)
class PhotoPlace:
    """Where a photo lies on a page (mm from the top left of the trimmed page), and what it is."""

    page: int
    box: tuple[float, float, float, float]
    """x, y, width, height."""
    name: str
    source: str
    """file:line of the Markdown (or publication.yml) that places it."""


@dataclass(frozen=True)
class Area:
    page: int
    box: tuple[float, float, float, float]
    """x, y, width, height in mm from the top left of the trimmed page."""
    mm2: float
    highest: float
    """The most ink in the area, in %."""


@dataclass(frozen=True)
class Separations:
    """One page's plates as small PNG pictures for the report."""

    page: int
    width_mm: float
    height_mm: float
    highest: float
    plates: tuple[bytes, ...]
    """cyan, magenta, yellow, black (grey: darker is more ink) and the total (grey, with SIGNAL above the limit)."""


@dataclass(frozen=True)
class Measurement:
    areas: tuple[Area, ...]
    pages: tuple[Separations, ...]
    more: tuple[tuple[int, int], ...] = ()
    """(page, areas) beyond the AREAS_PER_PAGE largest."""


@dataclass(frozen=True)
class InkCheck:
    """What the preflight takes from the ink check: its findings, and the separations to picture."""

    findings: tuple[Problem, ...]
    separations: tuple[Separations, ...] = ()


def photo_places(rendition) -> tuple[PhotoPlace, ...]:
    """Every placed photo of a rendition, by the prepared file its <img> shows."""
    from ..render.weasy import RasterImage, boxes
    from .pages import walk

    prepared = {image.output.name: image for image in rendition.images}
    places = []
    for placed in walk(rendition.document):
        box = placed.box
        if not isinstance(box, boxes.ReplacedBox) or not isinstance(box.replacement, RasterImage):
            continue
        element = getattr(box, "element", None)
        image = prepared.get(Path(element.get("src", "") if element is not None else "").name)
        if image is None:
            continue
        request = image.request
        places.append(PhotoPlace(placed.page, (box.content_box_x() / PX_PER_MM, box.content_box_y() / PX_PER_MM,
                                               box.width / PX_PER_MM, box.height / PX_PER_MM), request.path.name,
                                 f"{request.display}:{request.line}" if request.line else request.display))
    return tuple(places)


def _pages(stream: IO[bytes]) -> Iterator[tuple[int, int, memoryview]]:
    """The CMYK pages of a PAM stream (Ghostscript's pamcmyk32), one at a time: width, height, pixels. The
    pixels are read into one buffer, used again for the next page (a page at 300 dpi is 35 MB: fresh memory
    for each cost more than reading it)."""
    buffer = bytearray()
    while True:
        header: dict[str, str] = {}
        while True:
            line = stream.readline()
            if not line:
                return
            if line.strip() == b"ENDHDR":
                break
            key, _, value = line.decode("ascii", "replace").strip().partition(" ")
            header[key] = value
        width, height = int(header["WIDTH"]), int(header["HEIGHT"])
        size = width * height * 4
        if len(buffer) < size:
            buffer = bytearray(size)
        data = memoryview(buffer)[:size]
        if stream.readinto(data) < size:
            return
        yield width, height, data


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _measure_page(number: int, width: int, height: int, data: bytes | memoryview,
                  max_ink: int) -> tuple[list[Area], Separations]:
    import numpy

    inks = numpy.frombuffer(data, numpy.uint8).reshape(height, width, 4)  # 0 no ink, 255 full
    total = inks[:, :, 0].astype(numpy.uint16)
    for plate in range(1, 4):
        total += inks[:, :, plate]  # in place: no page-sized temporaries
    over = total > int((max_ink + TOLERANCE) * 255 / 100)
    mm_per_px = MM_PER_INCH / INK_DPI
    areas = []
    if over.any():
        from scipy import ndimage  # only for a page with ink above the limit

        labels, count = ndimage.label(over, structure=numpy.ones((3, 3), dtype=bool))
        sizes = numpy.bincount(labels.ravel(), minlength=count + 1)
        for index, found in enumerate(ndimage.find_objects(labels), start=1):
            mm2 = float(sizes[index]) * mm_per_px ** 2
            if found is None or mm2 < MIN_AREA_MM2:
                continue
            rows, columns = found
            highest = total[found][labels[found] == index].max()
            box = (columns.start * mm_per_px, rows.start * mm_per_px, (columns.stop - columns.start) * mm_per_px,
                   (rows.stop - rows.start) * mm_per_px)
            areas.append(Area(number, tuple(round(value, 1) for value in box), round(mm2, 1),
                              round(float(highest) * 100 / 255)))
    factor = max(1, math.ceil(width / PICTURE_WIDTH))
    page = Image.frombuffer("CMYK", (width, height), data, "raw", "CMYK", 0, 1)
    # the mean of each factor × factor block, per plate (reduced before it is split: the same pixels, 4x faster)
    reduced = page.reduce(factor).split()
    plates = [_png(Image.eval(plate, lambda value: 255 - value)) for plate in reduced]
    summed = sum(numpy.asarray(plate, dtype=numpy.uint16) for plate in reduced)
    grey = (255 - numpy.minimum(summed, 1020) // 4).astype(numpy.uint8)
    picture = numpy.repeat(grey[:, :, None], 3, axis=2)
    if over.any():  # marked wherever a block has a pixel above the limit, so that small areas show
        marked = numpy.asarray(Image.fromarray(over.astype(numpy.uint8) * 255).reduce(factor)) > 0
        picture[marked] = SIGNAL
    plates.append(_png(Image.fromarray(picture)))
    size = (width * mm_per_px, height * mm_per_px)
    return areas, Separations(number, *size, round(float(total.max()) * 100 / 255), tuple(plates))


@dataclass(frozen=True)
class _PageMeasurement:
    """One page's share of a Measurement: what is kept per page in .cache/ink."""

    areas: tuple[Area, ...]
    more: int
    """Areas beyond the AREAS_PER_PAGE largest."""
    separations: Separations

    def numbered(self, page: int) -> _PageMeasurement:
        """The same measurement for the page at `page` (a page keeps its measurement when it moves)."""
        return _PageMeasurement(tuple(dataclasses.replace(area, page=page) for area in self.areas), self.more,
                                dataclasses.replace(self.separations, page=page))


PAGE_IN_MEMORY = 256 << 20
"""Bytes of a page Ghostscript renders whole in memory instead of in bands (an A3 page at 300 dpi is 70 MB):
the same pixels for a fifth less of its time."""
PAGES_PER_GHOSTSCRIPT = 3
"""Pages to measure before a second Ghostscript is worth its start (about 0.1 s: it reads the whole file)."""


def _measure(pdf_bytes: bytes, max_ink: int, numbers: list[int]) -> list[_PageMeasurement]:
    """Ghostscript renders the pages `numbers` inside the TrimBox; each is measured as it arrives. Many pages
    (a first build) are shared among one Ghostscript per core, every other page to each, each read and
    measured in a thread of its own (NumPy and Pillow let go of the interpreter while they count)."""
    import threading

    from ..core.second_core import processes_for

    share = processes_for(len(numbers) // PAGES_PER_GHOSTSCRIPT)
    groups = [numbers[start::share] for start in range(share)]
    measured: dict[int, _PageMeasurement] = {}
    failures: list[Exception] = []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "print.pdf"
        source.write_bytes(pdf_bytes)

        def render(index: int, group: list[int]) -> None:
            try:
                _render_and_measure(source, Path(scratch) / f"errors-{index}.txt", max_ink, group, measured)
            except Exception as exc:  # raised by the caller, once every Ghostscript has ended
                failures.append(exc)

        threads = [threading.Thread(target=render, args=(index, group), name=f"ink {index}")
                   for index, group in enumerate(groups[1:], start=1)]
        for thread in threads:
            thread.start()
        try:
            _render_and_measure(source, Path(scratch) / "errors-0.txt", max_ink, groups[0], measured)
        finally:
            for thread in threads:
                thread.join()
    if failures:
        raise failures[0]
    return [measured[number] for number in numbers]


def _render_and_measure(source: Path, errors_file: Path, max_ink: int, numbers: list[int],
                        measured: dict[int, _PageMeasurement]) -> None:
    command = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pamcmyk32", f"-r{INK_DPI}",
               "-dUseTrimBox", f"-dMaxBitmap={PAGE_IN_MEMORY}", f"-sPageList={','.join(map(str, numbers))}",
               "-sstdout=%stderr", "-sOutputFile=-", str(source)]
    with open(errors_file, "w+b") as errors, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as gs:
        count = _read(gs, max_ink, numbers, measured)
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip()
        if gs.returncode != 0 or count != len(numbers):
            raise RuntimeError(said[:200] or f"exit status {gs.returncode}")


def _read(gs: subprocess.Popen, max_ink: int, numbers: list[int], measured: dict[int, _PageMeasurement]) -> int:
    """Each page Ghostscript renders measured into `measured`; how many it rendered."""
    assert gs.stdout is not None
    count = 0
    try:
        for number, (width, height, data) in zip(numbers, _pages(gs.stdout)):
            found, separations = _measure_page(number, width, height, data, max_ink)
            found.sort(key=lambda area: -area.mm2)
            measured[number] = _PageMeasurement(tuple(found[:AREAS_PER_PAGE]), max(0, len(found) - AREAS_PER_PAGE),
                                                separations)
            count += 1
    except BaseException:
        gs.kill()
        raise
    gs.wait(timeout=300)
    return count


def _to_json(page: _PageMeasurement) -> bytes:
    separations = page.separations
    return json.dumps({
        "areas": [[list(area.box), area.mm2, area.highest] for area in page.areas],
        "more": page.more,
        "size": [separations.width_mm, separations.height_mm], "highest": separations.highest,
        "plates": [base64.b64encode(plate).decode() for plate in separations.plates]}).encode()


def _from_json(data: bytes) -> _PageMeasurement:
    read = json.loads(data)
    return _PageMeasurement(
        tuple(Area(0, tuple(box), mm2, highest) for box, mm2, highest in read["areas"]), int(read["more"]),
        Separations(0, *read["size"], read["highest"], tuple(base64.b64decode(plate) for plate in read["plates"])))


def _cached(path: Path | None) -> _PageMeasurement | None:
    if path is None or not path.is_file():
        return None
    try:
        measurement = _from_json(path.read_bytes())
        os.utime(path)
        return measurement
    except (OSError, ValueError, KeyError, TypeError):
        return None  # measured again, and written anew


def _keep(cache_dir: Path, measured: dict[Path, _PageMeasurement]) -> None:
    """Each page's measurement kept; the oldest pages beyond CACHE_KEPT_PAGES are removed."""
    for path, page in measured.items():
        keep_in_cache(path, _to_json(page))
    try:
        kept = sorted(cache_dir.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in kept[CACHE_KEPT_PAGES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be tidied only takes room


def measure(pdf_bytes: bytes, max_ink: int, cache_dir: Path | None = None) -> Measurement:
    """The areas above `max_ink` and the separations of every page. Each page is kept in the cache under
    the digest of what draws it, so a rebuild renders only the pages that changed (one word changes a
    page or two; a new photo, its own page)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        digests = page_digests(pdf)
    settings = f"|{max_ink}|{INK_DPI}|{CACHE_VERSION}".encode()
    paths = [cache_dir / f"{hashlib.sha256(digest.encode() + settings).hexdigest()[:32]}.json" if cache_dir
             else None for digest in digests]
    pages = {number: _cached(path) for number, path in enumerate(paths, start=1)}
    missing = [number for number, page in pages.items() if page is None]
    if missing:
        measured = dict(zip(missing, _measure(pdf_bytes, max_ink, missing)))
        pages.update(measured)
        if cache_dir:
            _keep(cache_dir, {paths[number - 1]: page for number, page in measured.items()})
    numbered = [page.numbered(number) for number, page in sorted(pages.items())]
    return Measurement(tuple(area for page in numbered for area in page.areas),
                       tuple(page.separations for page in numbered),
                       tuple((page.separations.page, page.more) for page in numbered if page.more))


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(width, 0) * max(height, 0)


def _finding(area: Area, max_ink: int, photos: tuple[PhotoPlace, ...]) -> Problem:
    x, y, width, height = area.box
    said = (f"an area of {area.mm2:g} mm² ({width:.1f}×{height:.1f} mm, {x:.0f} mm from the left and {y:.0f} mm "
            f"from the top of the page) has up to {area.highest:.0f}% total ink, above the {max_ink}% the press "
            "allows")
    on = [photo for photo in photos if photo.page == area.page and _overlap(photo.box, area.box) > 0]
    photo = max(on, key=lambda photo: _overlap(photo.box, area.box), default=None)
    if photo and _overlap(photo.box, area.box) >= 0.5 * width * height:
        return _error(Code.INK_COVERAGE, f"{said}, on photo '{photo.name}'; the build keeps converted photos under "
                      "print.max_ink, so look for what is drawn over it (a tint, overprinting black text), or make "
                      "the photo lighter", page=area.page, area=area.box, element=f"photo {photo.name}",
                      source=photo.source)
    return _error(Code.INK_COVERAGE, f"{said}; use a colour with less ink (rich black should stay under the limit "
                  "too)", page=area.page, area=area.box)


def check_ink(pdf_bytes: bytes, max_ink: int, cache_dir: Path | None = None,
              photos: tuple[PhotoPlace, ...] = ()) -> InkCheck:
    """Areas above the limit as findings, each on a photo naming it, and the separations to picture."""
    try:
        measurement = measure(pdf_bytes, max_ink, cache_dir)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return InkCheck((_warning(Code.INK_COVERAGE, f"ink coverage not measured: Ghostscript could not run "
                                  f"({exc}); install it with ./setup.sh"),))
    except RuntimeError as exc:
        return InkCheck((_warning(Code.INK_COVERAGE, "Ghostscript could not render the PDF to measure ink "
                                  f"coverage: {exc}"),))
    findings = [_finding(area, max_ink, photos) for area in measurement.areas]
    findings += [_error(Code.INK_COVERAGE, f"{count} more areas above {max_ink}% total ink, each larger than "
                        f"{MIN_AREA_MM2:g} mm²; the separations in the preflight report show them all", page=page)
                 for page, count in measurement.more]
    findings.sort(key=lambda finding: finding.page or 0)
    return InkCheck(tuple(findings), measurement.pages)
