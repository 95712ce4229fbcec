"""Stage 3: prepare photos for the size at which they are placed.

Each photo is resized to the target resolution at its placed size (never enlarged), turned
upright (EXIF) and converted to sRGB or, for print, to the press's CMYK output profile with
its ink limited. Results are cached by content hash and parameters, outside dist/, so an
unchanged photo is not processed twice.

A cold build asks for several versions of each photo (print CMYK and screen RGB): each
original is decoded once for all of them, a JPEG at a reduced scale when it is at least twice
the largest size needed (libjpeg's DCT scaling), and colours are converted on the reduced
image. The photos are prepared on every core (worker processes, one photo at a time each, fresh
interpreters: see `_in_workers`) when more than one needs processing, unless PUBLICATION_SERIAL=1.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import os
import sys
import warnings
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from ..core.dist import write_atomic
from ..core.problems import Code, Problem, error
from ..core.second_core import SERIAL_ENV, cores
from ..core.units import pixels_for

CACHE_VERSION = "3"
"""Part of every prepared photo's cache key: raise it whenever the pixels or bytes prepare() makes change."""
MAX_PIXELS = 120_000_000
_SRGB = ImageCms.createProfile("sRGB")
_SRGB_PROFILE = ImageCms.ImageCmsProfile(_SRGB)


@dataclass(frozen=True)
class ImageRequest:
    path: Path
    display: str
    line: int | None
    width_mm: float
    height_mm: float | None = None
    """With a height, the photo fills the box (object-fit: cover) and is sized for that."""


@dataclass(frozen=True)
class PreparedImage:
    request: ImageRequest
    output: Path
    pixel_width: int
    pixel_height: int
    original_width: int
    original_height: int
    from_cache: bool = False
    """True when the prepared file came from the cache and no pixels were processed."""


@dataclass(frozen=True)
class PhotoVersion:
    """How one version of a photo is made: its resolution and, for print, the press's CMYK and ink limit."""

    ppi: int = 300
    output_profile: Path | None = None
    max_ink: int = 300
    web_quality: int | None = None
    """For the web edition: an sRGB JPEG at this quality, progressive, with 4:2:0 chroma (a third of
    the bytes of the default: quality 90, full chroma, which is for pages that are printed or zoomed)."""


Prepared = tuple["PreparedImage | None", list[Problem]]
Progress = Callable[[str, int, int], None]
"""Told (photo file name, photos done, photos to do) as photos are processed; ("", 0, n) first."""

PHOTO_PROGRESS: ContextVar[Progress | None] = ContextVar("PHOTO_PROGRESS", default=None)
"""Set by the command line to show progress while photos are processed (never from the cache)."""


def resample(image: Image.Image, size: tuple[int, int],
             box: tuple[float, float, float, float] | None = None) -> Image.Image:
    """The one resampler: Lanczos, with Pillow's reducing_gap, which first shrinks by whole factors
    (fast, box filter) and keeps Lanczos for the last factor of three, where its sharpness shows.
    `box` is the part of `image` to resample, in its pixels (fractions allowed)."""
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def open_photo(path: Path, display: str, line: int | None, draft: bool = False,
               reduce: Callable[[Image.Image], None] | None = None) -> tuple[Image.Image | None, list[Problem]]:
    """Open and decode a photo; `draft` decodes a JPEG at 1/8 scale, for checking only; `reduce` is
    called with the opened image before it is decoded (to ask for a draft of its own)."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    # WeasyPrint sets LOAD_TRUNCATED_IMAGES on import, which would let a cut-off file pass as grey.
    truncated_allowed = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            if draft and image.format == "JPEG":
                # libjpeg still reads every byte at 1/8 scale, so a damaged file fails the same way, 4x faster.
                image.draft("RGB", (image.width // 8, image.height // 8))
            if reduce:
                reduce(image)
            image.load()
        return image, []
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, [error(display, line, f"photo '{path.name}' has too many pixels (over {MAX_PIXELS // 1_000_000} "
                            "megapixels); scale it down to at most 8000 px on the long side", Code.IMAGE_TOO_LARGE)]
    except UnidentifiedImageError:
        kind = "empty (0 bytes)" if path.stat().st_size == 0 else "not an image format we can read"
        return None, [error(display, line, f"photo '{path.name}' is {kind}; export it again as JPEG or PNG",
                            Code.IMAGE_UNREADABLE)]
    except (OSError, SyntaxError, ValueError) as exc:
        return None, [error(display, line, f"photo '{path.name}' is damaged or incomplete ({exc}); "
                            "export it again as JPEG or PNG", Code.IMAGE_DAMAGED)]
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_allowed


_ORIENTATION = 0x0112
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}
"""EXIF orientation -> the turn that makes the photo upright (as ImageOps.exif_transpose)."""


def _orientation(image: Image.Image) -> int:
    try:
        orientation = image.getexif().get(_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError):
        return 1
    return orientation if orientation in _TRANSPOSE else 1


def _eight_bit(image: Image.Image) -> Image.Image:
    """8 bits per channel, transparency flattened on white: RGB, CMYK or L."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    return image


def _source_profile(icc: bytes | None) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc)) if icc else None
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if icc:
        try:
            transform = _screen_transform(icc, image.mode)
            if transform:
                image = ImageCms.applyTransform(image, transform)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image.convert("RGB")


@functools.lru_cache(maxsize=8)
def _screen_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """Built once per source profile in a process (as profileToProfile would build it for every photo)."""
    source = _source_profile(icc)
    return ImageCms.buildTransform(source, _SRGB_PROFILE, mode, "RGB",
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC) if source else None


# Photos go to press with relative colorimetric intent and black point compensation:
# colours that the press can print (skin, sky, the brand colours in event photos) stay
# exactly as they are, only out-of-gamut colours are clipped to the nearest printable
# one, and black point compensation maps the photo's black to the press's black so
# shadows keep their detail. It also does not depend on the quality of a profile's
# perceptual table, which profiles built from characterization data often lack.
PRESS_INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC


def _to_cmyk(image: Image.Image, icc: bytes | None, output_profile: Path) -> tuple[Image.Image, bool]:
    """Convert from the embedded profile (or sRGB when there is none) to the press's CMYK; and whether
    the tool made the ink (untagged CMYK is taken to be for the press already, and left as it is)."""
    source = _source_profile(icc)
    if image.mode == "CMYK" and source is None:
        return image, False
    if image.mode == "L" and source is None:
        image = image.convert("RGB")
    if source is None or (image.mode == "RGB") != (source.profile.xcolor_space.strip() == "RGB"):
        icc, image = None, image.convert("RGB")
    return ImageCms.applyTransform(image, _press_transform(icc, output_profile, image.mode)), True


@functools.lru_cache(maxsize=8)
def _press_transform(icc: bytes | None, output_profile: Path, mode: str) -> ImageCms.ImageCmsTransform:
    """Built once per source profile in a process: most photos of a publication share one (sRGB)."""
    return ImageCms.buildTransform(_source_profile(icc) or _SRGB_PROFILE, ImageCms.ImageCmsProfile(str(output_profile)),
                                   mode, "CMYK", renderingIntent=PRESS_INTENT,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


def _total_ink(pixels):
    """Per pixel, the sum of the four inks (0..1020), added plane by plane (faster than a sum over the last axis)."""
    import numpy  # here, not at the top: 40 ms of every build's start, and only a photo being prepared needs it

    total = pixels[..., 0].astype(numpy.int16)
    for plane in range(1, 4):
        total += pixels[..., plane]
    return total


def _limit_ink(pixels, limit):
    """Take cyan, magenta and yellow out of the pixels over `limit` (total ink in 0..1020, per pixel or
    one for all) so no pixel carries more; black stays, so the shadows keep their depth. A profile for
    sheet-fed offset (FOGRA39: 330%) can exceed what the press or paper takes."""
    import numpy

    over = numpy.nonzero(_total_ink(pixels) > limit)
    if not over[0].size:
        return pixels
    chosen = pixels[over].astype(numpy.float32)
    allowed = limit[over] if numpy.ndim(limit) else limit
    scale = numpy.clip((allowed - chosen[:, 3]) / numpy.maximum(chosen[:, :3].sum(axis=1), 1), 0, 1)
    limited = pixels.copy()
    limited[(*over, slice(0, 3))] = numpy.floor(chosen[:, :3] * scale[:, None]).astype(numpy.uint8)
    return limited


_BLOCK = 8
"""JPEG codes 8x8 blocks, each on its own (no chroma subsampling here, and an edge block is padded by
repeating its last row and column): the pixels a block decodes to depend on that block's pixels only."""
_INK_ROUNDS = 8
_INK_MARGIN = 3
"""Total ink (in 0..1020) kept under the limit from the start and in every correction: JPEG's rounding adds a
little, and so may a renderer's own decoder (Ghostscript's is a different build of libjpeg)."""
_DECODER_ROUNDING = 2
"""Levels of total ink kept free under the limit in the check: another decoder (Ghostscript's, the RIP's)
may round a pixel a level or two differently from Pillow's libjpeg (seen: 300.4 % where this measured 300)."""
_MOSAIC_WIDTH = 256
"""Blocks per row of the mosaic in which the blocks that went over are corrected."""


def _encode(image: Image.Image, comment: bytes = b"", optimize: bool = True, web_quality: int | None = None) -> bytes:
    """`optimize` only makes the Huffman tables smaller: the decoded pixels are the same without it."""
    encoded = io.BytesIO()
    if web_quality:
        image.save(encoded, "JPEG", quality=web_quality, optimize=True, progressive=True, subsampling=2,
                   comment=comment)
    else:
        image.save(encoded, "JPEG", quality=90, optimize=optimize, subsampling=0, comment=comment)
    return encoded.getvalue()


def _decoded_excess(data: bytes, ceiling: int):
    """Per 8x8 block of the decoded JPEG, how far its heaviest pixel goes over `ceiling` (<= 0: not over)."""
    import numpy

    with Image.open(io.BytesIO(data)) as decoded:
        total = _total_ink(numpy.asarray(decoded))
    height, width = total.shape
    rows, columns = -(-height // _BLOCK), -(-width // _BLOCK)
    padded = numpy.pad(total, ((0, rows * _BLOCK - height), (0, columns * _BLOCK - width)), mode="edge")
    return padded.reshape(rows, _BLOCK, columns, _BLOCK).max(axis=(1, 3)).astype(numpy.int32) - ceiling


def _encode_within_ink(image: Image.Image, max_ink: int, comment: bytes) -> bytes:
    """The CMYK photo as JPEG with no pixel over max_ink percent in total AFTER encoding. JPEG's rounding
    adds a few percent where the limit cut, so the encoded file is decoded and checked; the blocks that
    went over are gathered in a small mosaic, whose limit is lowered block by block by what each went over
    until none does (the blocks are coded independently, so they decode in the file as in the mosaic),
    and the file is encoded again with them, and checked again."""
    import numpy

    height, width = image.height, image.width
    rows, columns = -(-height // _BLOCK), -(-width // _BLOCK)
    ceiling = math.floor(max_ink * 255 / 100) - _DECODER_ROUNDING
    source = numpy.pad(numpy.asarray(image), ((0, rows * _BLOCK - height), (0, columns * _BLOCK - width), (0, 0)),
                       mode="edge")  # as libjpeg pads the edge blocks
    current = _limit_ink(source, ceiling - _INK_MARGIN)
    blocks = lambda array, at: array.reshape(rows, _BLOCK, columns, _BLOCK, 4).swapaxes(1, 2)[at]  # noqa: E731
    limits = numpy.full((rows, columns), ceiling - _INK_MARGIN, dtype=numpy.int32)
    data = b""
    for _ in range(3):
        data = _encode(Image.fromarray(numpy.ascontiguousarray(current[:height, :width]), "CMYK"), comment)
        excess = _decoded_excess(data, ceiling)
        if excess.max() <= 0:
            return data
        if current is source:
            current = source.copy()
        at = numpy.nonzero(excess > 0)
        count = at[0].size
        across = min(count, _MOSAIC_WIDTH)
        down = -(-count // across)
        original = numpy.zeros((down * across, _BLOCK, _BLOCK, 4), dtype=numpy.uint8)
        original[:count] = blocks(source, at)
        limit = numpy.full(down * across, ceiling, dtype=numpy.int32)
        limit[:count] = limits[at] - excess[at] - _INK_MARGIN
        for _ in range(_INK_ROUNDS):
            per_pixel = numpy.broadcast_to(limit[:, None, None], (down * across, _BLOCK, _BLOCK))
            corrected = _limit_ink(original, per_pixel)
            mosaic = corrected.reshape(down, across, _BLOCK, _BLOCK, 4).swapaxes(1, 2).reshape(
                down * _BLOCK, across * _BLOCK, 4)
            over = _decoded_excess(_encode(Image.fromarray(numpy.ascontiguousarray(mosaic), "CMYK"), optimize=False),
                                   ceiling).reshape(-1)
            if over.max() <= 0:
                break
            limit = limit - numpy.where(over > 0, over + _INK_MARGIN, 0)
        limits[at] = limit[:count]
        current.reshape(rows, _BLOCK, columns, _BLOCK, 4).swapaxes(1, 2)[at] = corrected[:count]
    return data


@dataclass(frozen=True)
class _Version:
    """One version of one placed photo to make: where it goes and how large it is."""

    request: ImageRequest
    version: PhotoVersion
    output: Path


def _target_scale(request: ImageRequest, version: PhotoVersion, width: int, height: int) -> float:
    scale = pixels_for(request.width_mm, version.ppi) / width
    if request.height_mm:
        scale = max(scale, pixels_for(request.height_mm, version.ppi) / height)
    return scale


def _prepare_original(path: Path, versions: Sequence[_Version]) -> list[Prepared]:
    """Every version asked of one original, from one decode. Runs in a pool worker or here."""
    first = versions[0].request
    full: dict[str, tuple] = {}
    orientation = 1

    def reduce(image: Image.Image) -> None:
        nonlocal orientation
        orientation = _orientation(image)
        full["raw"], full["box"] = image.size, None
        width, height = image.size[::-1] if orientation >= 5 else image.size
        needed = max(_target_scale(item.request, item.version, width, height) for item in versions)
        if image.format == "JPEG" and needed <= 0.5:
            drafted = image.draft(None, (max(1, math.ceil(image.width * needed)),
                                         max(1, math.ceil(image.height * needed))))
            # the part of the reduced image the original covers: its last row and column may be partly padding
            full["box"] = drafted[1] if drafted and image.size != full["raw"] else None

    image, problems = open_photo(path, first.display, first.line, reduce=reduce)
    if image is None:
        return [(None, [error(item.request.display, item.request.line, problem.message, problem.code)
                        for problem in problems]) for item in versions]
    icc = image.info.get("icc_profile")
    raw_width, raw_height = full["raw"]
    turned = orientation >= 5
    original_width, original_height = (raw_height, raw_width) if turned else (raw_width, raw_height)
    base, box = _eight_bit(image), full["box"]
    resized: dict[tuple[int, int], Image.Image] = {}
    results: list[Prepared] = []
    for item in versions:
        scale = _target_scale(item.request, item.version, original_width, original_height)
        size = (original_width, original_height)
        if scale < 1:
            size = (max(1, round(original_width * scale)), max(1, round(original_height * scale)))
        raw_size = size[::-1] if turned else size
        if raw_size not in resized:
            picture = base if raw_size == base.size and box is None else resample(base, raw_size, box)
            resized[raw_size] = picture.transpose(_TRANSPOSE[orientation]) if orientation != 1 else picture
        picture = resized[raw_size]
        comment = f"{original_width}x{original_height}".encode()
        if item.version.output_profile:
            converted, made_ink = _to_cmyk(picture, icc, item.version.output_profile)
            data = (_encode_within_ink(converted, item.version.max_ink, comment) if made_ink
                    else _encode(converted, comment))
        else:
            converted = _to_srgb(picture, icc)
            data = _encode(converted, comment, web_quality=item.version.web_quality)
        try:
            write_atomic(item.output, data)  # two builds at once may prepare the same photo
        except OSError as exc:
            results.append((None, [error(item.request.display, item.request.line, "cannot store the prepared "
                                         f"photo in .cache/: {exc.strerror} ({exc.filename}); make sure .cache/ "
                                         "is a folder you can write to", Code.CACHE_UNWRITABLE)]))
            continue
        results.append((PreparedImage(item.request, item.output, converted.width, converted.height,
                                      original_width, original_height), []))
    return results


def _cache_key(data: bytes, request: ImageRequest, version: PhotoVersion) -> str:
    colour = ([version.output_profile.read_bytes(), f"{int(PRESS_INTENT)}/{version.max_ink}".encode()]
              if version.output_profile else [b"srgb"])
    if version.web_quality:  # only then: the other versions keep the keys their cached files have
        colour.append(f"web{version.web_quality}".encode())
    return hashlib.sha256(b"|".join([data, CACHE_VERSION.encode(), f"{request.width_mm:.2f}x{request.height_mm}"
                                     f"@{version.ppi}".encode(), *colour])).hexdigest()[:24]


def output_for(request: ImageRequest, version: PhotoVersion, cache_dir: Path) -> Path:
    """Where the prepared version of this photo is (or will be) in the cache."""
    return cache_dir / f"{_cache_key(request.path.read_bytes(), request, version)}.jpg"


def _cached(request: ImageRequest, output: Path) -> PreparedImage | None:
    try:
        with Image.open(output) as cached:
            width, height = cached.size
            original = cached.info.get("comment", b"").decode().split("x")
    except (OSError, UnicodeDecodeError):
        return None
    if len(original) != 2 or not all(part.isdigit() for part in original):
        return None
    return PreparedImage(request, output, width, height, int(original[0]), int(original[1]), from_cache=True)


def _workers(jobs: int) -> int:
    return min(jobs, cores()) if jobs > 1 and cores() > 1 and os.environ.get(SERIAL_ENV) != "1" else 1


_WORKER = "from publication.render.images import serve_photos; serve_photos()"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def serve_photos() -> None:
    """A photo worker: reads (original, versions) pickled on stdin, one after the other, and writes each
    result pickled on stdout, until stdin closes. Anything else printed goes to stderr."""
    import pickle
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to report: this ends with its input
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    jobs = sys.stdin.buffer
    while True:
        try:
            path, versions = pickle.load(jobs)
        except (EOFError, pickle.UnpicklingError, OSError):
            return  # the build has finished with this worker, or has gone (Ctrl-C)
        try:
            pickle.dump(_prepare_original(path, versions), results, protocol=pickle.HIGHEST_PROTOCOL)
            results.flush()
        except (BrokenPipeError, OSError):
            os._exit(0)  # nobody is reading any more (Ctrl-C): leave without flushing into the closed pipe


def _in_workers(jobs: dict[Path, list[_Version]], count: int, made: dict[Path, list[Prepared]],
                progress: Progress | None) -> None:
    """The jobs on `count` worker processes, each a fresh interpreter that imports only this module and
    takes one photo at a time. Not multiprocessing: its workers are forks of this process (which may run
    other threads, and holds WeasyPrint and the project: all counted in each worker's memory) or import
    the main script again (a user's script, run twice). The workers are this process's own children, so
    their CPU time counts in its getrusage(RUSAGE_CHILDREN). A job a worker does not finish is left out
    of `made`, to be done here."""
    import pickle
    import subprocess
    import threading

    waiting = list(jobs.items())
    lock = threading.Lock()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT,
                                                                             os.environ.get("PYTHONPATH")]))}

    def work() -> None:
        try:
            worker = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      env=environment)
        except OSError:
            return
        try:
            while True:
                with lock:
                    if not waiting or stopped:
                        break
                    path, items = waiting.pop(0)
                pickle.dump((path, items), worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                worker.stdin.flush()
                result = pickle.load(worker.stdout)
                with lock:
                    made[path] = result
                    if progress:
                        progress(path.name, len(made), len(jobs))
        except (OSError, EOFError, pickle.UnpicklingError):
            pass  # a worker that died (out of memory, killed) is no new way to fail: its job is made here
        finally:
            with contextlib.suppress(OSError):
                worker.stdin.close()  # the worker ends at the end of its input
            worker.wait()

    stopped: list[bool] = []
    threads = [threading.Thread(target=work, name=f"photo worker {number}") for number in range(count)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C: the workers finish the photo in hand, start no other, and end
        stopped.append(True)
        raise


def prepare_photos(requests: Sequence[ImageRequest], versions: Sequence[PhotoVersion], cache_dir: Path,
                   workers: int | None = None) -> dict[tuple[ImageRequest, PhotoVersion], Prepared]:
    """Every version of every photo: from the cache, or made with each original decoded once, on
    `workers` processes (default: every core, when more than one original is to be processed). The
    result is the same, byte for byte, however many workers make it."""
    results: dict[tuple[ImageRequest, PhotoVersion], Prepared] = {}
    jobs: dict[Path, list[_Version]] = {}
    for request in dict.fromkeys(requests):
        try:
            data = request.path.read_bytes()
        except OSError as exc:
            for version in versions:
                results[request, version] = (None, [error(request.display, request.line, f"photo "
                                                          f"'{request.path.name}' cannot be read ({exc.strerror}); "
                                                          "check that the file is there and readable",
                                                          Code.IMAGE_UNREADABLE)])
            continue
        for version in dict.fromkeys(versions):
            output = cache_dir / f"{_cache_key(data, request, version)}.jpg"
            cached = _cached(request, output) if output.exists() else None
            if cached:
                results[request, version] = (cached, [])
            else:
                jobs.setdefault(request.path, []).append(_Version(request, version, output))
    if not jobs:
        return results
    progress = PHOTO_PROGRESS.get()
    if progress:
        progress("", 0, len(jobs))
    made: dict[Path, list[Prepared]] = {}
    count = _workers(len(jobs)) if workers is None else workers
    if count > 1:
        _in_workers(jobs, count, made, progress)
    for path, items in jobs.items():
        if path not in made:
            made[path] = _prepare_original(path, items)
            if progress:
                progress(path.name, len(made), len(jobs))
    for path, items in jobs.items():
        for item, result in zip(items, made[path]):
            results[item.request, item.version] = result
    return results


def prepare(request: ImageRequest, cache_dir: Path, ppi: int = 300, output_profile: Path | None = None,
            max_ink: int = 300) -> Prepared:
    """One photo in one version: with an output profile, converted to that press's CMYK; otherwise to sRGB."""
    version = PhotoVersion(ppi, output_profile, max_ink)
    return prepare_photos([request], [version], cache_dir, workers=1)[request, version]
