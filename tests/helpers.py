"""Helpers shared by the bad-input tests: failing builds, dist/ snapshots, reading PDFs back."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pypdfium2
from conftest import REPO
from PIL import Image
from pypdf import PdfReader

from publication.commands.build import BuildOptions, BuildResult, build
from publication.config.geometry import geometry_for
from publication.core.problems import BuildFailed

PREVIOUS_PDF = b"%PDF-1.7\n% the output of an earlier, successful build\n"
PREVIOUS_HTML = b"<!DOCTYPE html><p>earlier build</p>\n"


def seed_previous_outputs(root: Path) -> dict[str, bytes]:
    """Put an earlier build's outputs in dist/ and return a snapshot of dist/."""
    dist = root / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "testbrochure.pdf").write_bytes(PREVIOUS_PDF)
    (dist / "testbrochure.html").write_bytes(PREVIOUS_HTML)
    return dist_snapshot(root)


def dist_snapshot(root: Path) -> dict[str, bytes]:
    """Every file in dist/, hidden ones included, with its bytes."""
    dist = root / "dist"
    return {path.relative_to(dist).as_posix(): path.read_bytes()
            for path in sorted(dist.rglob("*")) if path.is_file()} if dist.is_dir() else {}


def failed_build(root: Path, options: BuildOptions = BuildOptions()) -> list[str]:
    """Build a project that must fail; returns its issues as the CLI prints them, and checks dist/."""
    before = seed_previous_outputs(root)
    try:
        build(root, options)
    except BuildFailed as failed:
        assert dist_snapshot(root) == before, "a failed build changed dist/"
        return sorted(str(issue) for issue in failed.issues)
    raise AssertionError("the build succeeded, but it should have failed")


def built(root: Path, options: BuildOptions = BuildOptions(targets=("standard",))) -> tuple[BuildResult, Path]:
    """Build the designed brochure (only that: the print PDF has its own preflight) and return its path."""
    result = build(root, options)
    return result, root / "dist" / f"{result.project.slug}.pdf"


def run_cli(*args: str | Path, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command line, in a subprocess, run from the repository so it uses this checkout."""
    return subprocess.run([sys.executable, "-m", "publication", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def pdf_text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def flat_text(pdf: Path) -> str:
    """The PDF's text with words hyphenated at a line end joined again and all spacing single."""
    return re.sub(r"\s+", " ", re.sub(r"[\u2010\u00ad-]\n", "", pdf_text(pdf)))


def embedded_images(pdf: Path) -> list[Image.Image]:
    """Every image in the PDF once (WeasyPrint lists them in every page's resources), decoded, as RGB."""
    images = {}
    for page in PdfReader(pdf).pages:
        for placed in page.images:
            images.setdefault(placed.indirect_reference.idnum, placed.image.convert("RGB"))
    return list(images.values())


def characters_outside_the_page(pdf: Path) -> list[str]:
    """Descriptions of every visible character whose box is not inside its page."""
    outside = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number, page in enumerate(document, start=1):
            width, height = page.get_size()
            text = page.get_textpage()
            for index in range(text.count_chars()):
                left, bottom, right, top = text.get_charbox(index)
                if right - left > 0 and not (left >= 0 and bottom >= 0 and right <= width and top <= height):
                    outside.append(f"page {number}: {text.get_text_range(index, 1)!r} at {left:.0f},{bottom:.0f}")
    finally:
        document.close()
    return outside


def body_text(pdf: Path) -> str:
    """The text inside the type area of every page, without running footers."""
    geometry = geometry_for("A4")
    points = 72 / 25.4
    texts = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            width, height = page.get_size()
            texts.append(page.get_textpage().get_text_bounded(
                0, geometry.margin_bottom * points, width, height - geometry.margin_top * points))
    finally:
        document.close()
    return "\n".join(texts)


def write_png16(path: Path, width: int, height: int, pixel) -> None:
    """A 16-bit-per-channel RGBA PNG (colour type 6, depth 16), which Pillow cannot write itself.

    `pixel(x, y)` returns (r, g, b, a) in 0..65535."""
    rows = b"".join(b"\x00" + b"".join(struct.pack(">4H", *pixel(x, y)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))


def noise_image(size: tuple[int, int]) -> Image.Image:
    """An image that does not compress, so that cutting its file short really loses pixels."""
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def structure_tree(path: Path) -> tuple[list[tuple[str, tuple[str, ...], str]], list[str]]:
    """poppler's reading of a tagged PDF's structure tree (`pdfinfo -struct-text`): (tag, tags of its
    ancestors, text within) for every element in order, and all the text in order."""
    listing = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True,
                             check=True).stdout
    elements: list[tuple[str, tuple[str, ...], list[str]]] = []
    open_elements: list[tuple[int, int]] = []
    texts: list[str] = []
    for line in listing.splitlines():
        body = line.strip()
        if not body:
            continue
        indent = len(line) - len(line.lstrip())
        while open_elements and open_elements[-1][0] >= indent:
            open_elements.pop()
        if body.startswith('"') and body.endswith('"'):
            texts.append(body[1:-1])
            for _, index in open_elements:
                elements[index][2].append(body[1:-1])
        elif match := re.match(r"^([A-Z][A-Za-z0-9]*)(?: <[^>]*>)?(?: \(|:|$)", body):
            ancestors = tuple(elements[index][0] for _, index in open_elements)
            elements.append((match.group(1), ancestors, []))
            open_elements.append((indent, len(elements) - 1))
    return [(tag, ancestors, " ".join(parts)) for tag, ancestors, parts in elements], texts


def _pam(data: bytes):
    """The pages of a PAM stream (MuPDF's and Ghostscript's CMYK output) as numpy arrays."""
    import numpy

    pages, offset = [], 0
    while offset < len(data):
        end = data.index(b"ENDHDR\n", offset) + 7
        header = dict(line.split(" ", 1) for line in data[offset:end].decode().splitlines() if " " in line)
        shape = (int(header["HEIGHT"]), int(header["WIDTH"]), int(header["DEPTH"]))
        size = shape[0] * shape[1] * shape[2]
        pages.append(numpy.frombuffer(data, numpy.uint8, size, end).reshape(shape))
        offset = end + size
    return pages


def three_renderers(pdf: Path, scratch: Path, dpi: int = 50) -> dict[str, list]:
    """Every page of `pdf` drawn by Ghostscript, poppler and MuPDF: in RGB by each ("gs", "poppler",
    "mupdf") and in CMYK by Ghostscript and MuPDF ("gs-cmyk", "mupdf-cmyk"; Debian's poppler cannot
    write CMYK), as numpy arrays of each renderer's page box (the MediaBox)."""
    import numpy

    scratch.mkdir(parents=True, exist_ok=True)
    gs = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", f"-r{dpi}", "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4"]
    subprocess.run([*gs, "-sDEVICE=png16m", f"-sOutputFile={scratch}/gs-%03d.png", str(pdf)], check=True, timeout=300)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(scratch / "poppler")], check=True, timeout=300)
    subprocess.run(["mutool", "draw", "-q", "-r", str(dpi), "-o", f"{scratch}/mupdf-%03d.png", str(pdf)],
                   check=True, timeout=300, capture_output=True)
    cmyk = {"gs-cmyk": subprocess.run([*gs, "-sDEVICE=pamcmyk32", "-sOutputFile=-", str(pdf)], check=True,
                                      timeout=300, capture_output=True).stdout,
            "mupdf-cmyk": subprocess.run(["mutool", "draw", "-q", "-r", str(dpi), "-c", "cmyk", "-F", "pam", "-o", "-",
                                          str(pdf)], check=True, timeout=300, capture_output=True).stdout}
    pictures = {name: [numpy.asarray(Image.open(path).convert("RGB"), dtype=float)
                       for path in sorted(scratch.glob(f"{name}-*.png"))] for name in ("gs", "poppler", "mupdf")}
    pictures.update({name: [page.astype(float) for page in _pam(data)] for name, data in cmyk.items()})
    return pictures


def renderers_disagree(pdf: Path, scratch: Path, dpi: int = 50) -> list[str]:
    """Where Ghostscript, poppler and MuPDF draw the pages of `pdf` differently, as sentences: an
    8 × 8 pixel block (4 mm at 50 dpi) with ink in one renderer where another has none anywhere
    around it (something dropped, or painted that should not be); a page whose CMYK plates differ
    between Ghostscript and MuPDF by more than 2.5 % of ink on average; or whose RGB pictures
    differ between Ghostscript and poppler by more than 12 levels of 255 on average (they turn CMYK
    into screen colours through different profiles; MuPDF here has no colour management at all, so
    its RGB is compared only for where there is ink)."""
    import numpy
    from scipy import ndimage

    pictures = three_renderers(pdf, scratch, dpi)
    counts = {name: len(pages) for name, pages in pictures.items()}
    if len(set(counts.values())) != 1:
        return [f"page counts differ: {counts}"]
    found = []
    for index in range(counts["gs"]):
        number = index + 1
        page = {name: pages[index] for name, pages in pictures.items()}
        height = min(picture.shape[0] for picture in page.values()) // 8 * 8
        width = min(picture.shape[1] for picture in page.values()) // 8 * 8
        page = {name: picture[:height, :width] for name, picture in page.items()}  # sizes differ by a pixel
        ink = {name: (255 - page[name].mean(axis=2)).reshape(height // 8, 8, width // 8, 8).mean(axis=(1, 3))
               for name in ("gs", "poppler", "mupdf")}
        around = {name: ndimage.maximum_filter(blocks, size=3) for name, blocks in ink.items()}
        for one in ink:
            for other in ink:
                lost = (ink[one] > 8) & (around[other] < 2)
                if lost.any():
                    rows, columns = numpy.nonzero(lost)
                    found.append(f"page {number}: {int(lost.sum())} blocks inked by {one} are blank in {other} "
                                 f"(first at {columns[0] * 8 / dpi * 25.4:.0f}, {rows[0] * 8 / dpi * 25.4:.0f} mm)")
        plates = numpy.abs(page["gs-cmyk"] - page["mupdf-cmyk"]).mean() * 100 / 255
        if plates > 2.5:
            found.append(f"page {number}: Ghostscript's and MuPDF's plates differ by {plates:.1f}% ink on average")
        screen = numpy.abs(page["gs"] - page["poppler"]).mean()
        if screen > 12:
            found.append(f"page {number}: Ghostscript's and poppler's pictures differ by {screen:.1f} levels "
                         "on average")
    return found
