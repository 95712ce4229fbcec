"""Preflight of total ink: the print file rendered in CMYK by Ghostscript, each pixel's inks added up."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tempfile
from pathlib import Path

import pikepdf
from PIL import Image

from ..core.problems import Code, Problem
from ..core.units import MM_PER_INCH
from .report import _error, _warning

INK_CHECK_DPI = 36


def ink_cache_dir(project) -> Path:
    """Where the ink check keeps its photos decoded at 1/8, beside the build's prepared photos."""
    return project.root / ".cache" / "ink"


def _at_an_eighth(jpeg: bytes, cache_dir: Path | None) -> Image.Image:
    cached = cache_dir / f"{hashlib.sha256(jpeg).hexdigest()[:24]}.tiff" if cache_dir else None
    if cached and cached.is_file():
        with Image.open(cached) as small:
            small.load()
            return small
    with Image.open(io.BytesIO(jpeg)) as photo:
        photo.draft(photo.mode, (max(1, photo.width // 8), max(1, photo.height // 8)))
        photo.load()  # Pillow undoes an Adobe JPEG's inverted CMYK itself
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            photo.save(partial, "TIFF")
            partial.replace(cached)
        return photo.copy()


def photos_at_an_eighth(pdf_bytes: bytes, cache_dir: Path | None = None) -> bytes:
    """The PDF with each JPEG photo decoded at an eighth of its size, for the ink check.

    Ghostscript spends nearly all its time decoding 300 ppi photos, of which a 36 dpi check
    uses one pixel in eight. libjpeg decodes at 1/8 for a third of the cost, each pixel the mean
    of an 8 x 8 block (0.7 mm at 300 ppi): ink is measured over areas that size, as a press feels
    it. With `cache_dir`, each photo is decoded once, like the photos the build prepares.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for image in pdf.objects:
            if not (isinstance(image, pikepdf.Stream) and image.get("/Subtype") == "/Image"
                    and image.get("/Filter") == "/DCTDecode"):
                continue
            photo = _at_an_eighth(image.read_raw_bytes(), cache_dir)
            image.write(photo.tobytes())  # no /Decode any more: the pixels are not inverted
            image.Width, image.Height, image.BitsPerComponent = photo.width, photo.height, 8
            for key in ("/Decode", "/DecodeParms"):
                if key in image:
                    del image[key]
        out = io.BytesIO()
        pdf.save(out, compress_streams=False)
        return out.getvalue()


def check_ink(pdf_bytes: bytes, max_ink: int, cache_dir: Path | None = None) -> list[Problem]:
    """Total area coverage per page, rendered in CMYK by Ghostscript."""
    import numpy  # imported by the ink check's own thread, beside the build, not at start-up
    findings = []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "print.pdf"
        source.write_bytes(photos_at_an_eighth(pdf_bytes, cache_dir))
        try:
            result = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiff32nc",
                                     f"-r{INK_CHECK_DPI}", "-dUseTrimBox", f"-sOutputFile={scratch}/page-%03d.tif",
                                     str(source)], capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [_warning(Code.INK_COVERAGE, f"ink coverage not measured: Ghostscript could not run ({exc}); "
                             "install it with ./setup.sh")]
        if result.returncode != 0:
            return [_warning(Code.INK_COVERAGE, f"Ghostscript could not render the PDF to measure ink coverage: "
                             f"{result.stderr.strip()[:200]}")]
        for number, path in enumerate(sorted(Path(scratch).glob("page-*.tif")), start=1):
            with Image.open(path) as image:
                total = numpy.asarray(image.convert("CMYK"), dtype=numpy.int32).sum(axis=2) * 100 / 255
            over = total > max_ink + 1  # one step of 8-bit rounding per channel
            if over.any():
                rows, columns = numpy.nonzero(over)
                left, top, right, bottom = columns.min(), rows.min(), columns.max() + 1, rows.max() + 1
                area = tuple(round(float(v) * MM_PER_INCH / INK_CHECK_DPI, 1)
                             for v in (left, top, right - left, bottom - top))
                findings.append(_error(Code.INK_COVERAGE, f"up to {total.max():.0f}% total ink, above the "
                                       f"{max_ink}% the press allows; use a colour with less ink (rich black "
                                       "should stay under the limit too)", page=number, area=area))
    return findings


