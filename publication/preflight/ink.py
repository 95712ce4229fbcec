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
It is kept in `.cache/ink` under the hash of the PDF, so an unchanged print file is not measured again.
"""

from __future__ import annotations

import base64
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

from PIL import Image

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
CACHE_VERSION = 1
CACHE_KEPT = 12
"""Measurements kept in .cache/ink (the newest); each is about 50 kB per page."""


def ink_cache_dir(project) -> Path:
    """Where the ink check keeps its measurements, beside the build's prepared photos."""
    return project.root / ".cache" / "ink"


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


def _pages(stream: IO[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """The CMYK pages of a PAM stream (Ghostscript's pamcmyk32), one at a time: width, height, pixels."""
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
        data = stream.read(width * height * 4)
        if len(data) < width * height * 4:
            return
        yield width, height, data


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _measure_page(number: int, width: int, height: int, data: bytes,
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


def _measure(pdf_bytes: bytes, max_ink: int) -> Measurement:
    """Ghostscript renders the pages inside the TrimBox; each is measured as it arrives."""
    areas: list[Area] = []
    pages: list[Separations] = []
    more: list[tuple[int, int]] = []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "print.pdf"
        source.write_bytes(pdf_bytes)
        command = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pamcmyk32", f"-r{INK_DPI}",
                   "-dUseTrimBox", "-sstdout=%stderr", "-sOutputFile=-", str(source)]
        with open(Path(scratch) / "errors.txt", "w+b") as errors, \
                subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as gs:
            _read(gs, max_ink, areas, pages, more)
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()
            if gs.returncode != 0 or not pages:
                raise RuntimeError(said[:200] or f"exit status {gs.returncode}")
    return Measurement(tuple(areas), tuple(pages), tuple(more))


def _read(gs: subprocess.Popen, max_ink: int, areas: list[Area], pages: list[Separations],
          more: list[tuple[int, int]]) -> None:
    assert gs.stdout is not None
    try:
        for number, (width, height, data) in enumerate(_pages(gs.stdout), start=1):
            found, separations = _measure_page(number, width, height, data, max_ink)
            found.sort(key=lambda area: -area.mm2)
            areas += found[:AREAS_PER_PAGE]
            if len(found) > AREAS_PER_PAGE:
                more.append((number, len(found) - AREAS_PER_PAGE))
            pages.append(separations)
    except BaseException:
        gs.kill()
        raise
    gs.wait(timeout=300)


def _to_json(measurement: Measurement) -> bytes:
    return json.dumps({
        "areas": [[area.page, list(area.box), area.mm2, area.highest] for area in measurement.areas],
        "more": [list(pair) for pair in measurement.more],
        "pages": [{"page": page.page, "size": [page.width_mm, page.height_mm], "highest": page.highest,
                   "plates": [base64.b64encode(plate).decode() for plate in page.plates]}
                  for page in measurement.pages]}).encode()


def _from_json(data: bytes) -> Measurement:
    read = json.loads(data)
    return Measurement(
        tuple(Area(page, tuple(box), mm2, highest) for page, box, mm2, highest in read["areas"]),
        tuple(Separations(page["page"], *page["size"], page["highest"],
                          tuple(base64.b64decode(plate) for plate in page["plates"])) for page in read["pages"]),
        tuple(tuple(pair) for pair in read["more"]))


def measure(pdf_bytes: bytes, max_ink: int, cache_dir: Path | None = None) -> Measurement:
    """The areas above `max_ink` and the separations of every page, from the cache when this PDF was
    measured before."""
    key = hashlib.sha256(pdf_bytes + f"|{max_ink}|{INK_DPI}|{CACHE_VERSION}".encode()).hexdigest()[:32]
    cached = cache_dir / f"{key}.json" if cache_dir else None
    if cached and cached.is_file():
        try:
            measurement = _from_json(cached.read_bytes())
            os.utime(cached)
            return measurement
        except (OSError, ValueError, KeyError, TypeError):
            pass  # measured again, and written anew
    measurement = _measure(pdf_bytes, max_ink)
    if cached:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(_to_json(measurement))
            partial.replace(cached)
            kept = sorted(cache_dir.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
            for old in [*kept[CACHE_KEPT:], *cache_dir.glob("*.tiff")]:  # .tiff: photos an earlier check decoded
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written only costs time
    return measurement


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
