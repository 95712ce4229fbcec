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
import threading
import warnings
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from ..core.dist import write_atomic
from ..core.problems import Code, Problem, error
from ..core.second_core import processes_for
from ..core.units import pixels_for

CACHE_VERSION = "4"
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


def _to_cmyk(image: Image.Image, icc: bytes | None, output_profile: Path):
    """Convert from the embedded profile (or sRGB when there is none) to the press's CMYK. Returns the CMYK image
    and, when the tool made the ink, its pixels as an array padded to whole 8x8 blocks (the image is a view of
    them: see `_in_blocks`); None when it did not (untagged CMYK is taken to be for the press already, and
    left as it is)."""
    source = _source_profile(icc)
    if image.mode == "CMYK" and source is None:
        return image, None
    if image.mode == "L" and source is None:
        image = image.convert("RGB")
    if source is None or (image.mode == "RGB") != (source.profile.xcolor_space.strip() == "RGB"):
        icc, image = None, image.convert("RGB")
    return _in_blocks(image, _press_transform(icc, output_profile, image.mode))


def _in_blocks(image: Image.Image, transform: ImageCms.ImageCmsTransform):
    """The image converted to CMYK by `transform`, written straight into an array of whole 8x8 blocks (its
    edge blocks filled by repeating the last row and column, as libjpeg pads them), with a CMYK image that is
    a view of its pixels (no copy of the photo for the ink limit, nor for the encoder)."""
    import numpy

    width, height = image.size
    padded = numpy.empty((-(-height // _BLOCK) * _BLOCK, -(-width // _BLOCK) * _BLOCK, 4), dtype=numpy.uint8)
    converted = _view(padded, width, height)
    # LittleCMS's transform itself: ImageCmsTransform.apply would also serialise the 1.5 MB press profile into
    # the image's info for every photo (30-60 ms each), which nothing reads.
    transform.transform.apply(image.getim(), converted.getim())
    padded[:height, width:] = padded[:height, width - 1:width]
    padded[height:] = padded[height - 1:height]
    return converted, padded


def _view(padded, width: int, height: int) -> Image.Image:
    """A CMYK image of the top left `width` x `height` pixels of a (rows, columns, 4) array, sharing its memory."""
    return Image.frombuffer("CMYK", (width, height), padded, "raw", "CMYK", padded.shape[1] * 4, 1)


@functools.lru_cache(maxsize=8)
def _press_transform(icc: bytes | None, output_profile: Path, mode: str) -> ImageCms.ImageCmsTransform:
    """Built once per source profile in a process: most photos of a publication share one (sRGB)."""
    return ImageCms.buildTransform(_source_profile(icc) or _SRGB_PROFILE, ImageCms.ImageCmsProfile(str(output_profile)),
                                   mode, "CMYK", renderingIntent=PRESS_INTENT,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION | ImageCms.Flags.NOCACHE)
    # NOCACHE: no check whether a pixel is the one before it (never, in a photo); the same pixels, 10 % faster.


def _total_ink(pixels):
    """Per pixel, the sum of the four inks (0..1020), added plane by plane (faster than a sum over the last axis)."""
    import numpy  # here, not at the top: 40 ms of every build's start, and only a photo being prepared needs it

    total = pixels[..., 0].astype(numpy.int16)
    for plane in range(1, 4):
        total += pixels[..., plane]
    return total


def _limit_ink(pixels, limit, total=None):
    """Take cyan, magenta and yellow out of the pixels over `limit` (total ink in 0..1020, per pixel or
    one for all) so no pixel carries more; black stays, so the shadows keep their depth. A profile for
    sheet-fed offset (FOGRA39: 330%) can exceed what the press or paper takes. `total`: the pixels'
    total ink, when it is known already."""
    import numpy

    over = numpy.nonzero((_total_ink(pixels) if total is None else total) > limit)
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
_NEAR_LIMIT = 64
"""Blocks whose heaviest pixel is within this much total ink (in 0..1020: 25 %) of the limit are corrected
before the photo is encoded: JPEG's rounding at quality 90 was seen to add up to 28 (dark, sharp edges).
A block further below that goes over anyway is found by the check of the encoded file, and corrected then."""
_MOSAIC_WIDTH = 256
"""Blocks per row of the mosaic in which the blocks that went over are corrected."""


def _encode(image: Image.Image, comment: bytes = b"", optimize: bool = True, web_quality: int | None = None) -> bytes:
    """`optimize` only makes the Huffman tables smaller (1-2 % of a photo, for three times the encoding time):
    the decoded pixels are the same without it."""
    encoded = io.BytesIO()
    if web_quality:
        image.save(encoded, "JPEG", quality=web_quality, optimize=True, progressive=True, subsampling=2,
                   comment=comment)
    else:
        image.save(encoded, "JPEG", quality=90, optimize=optimize, subsampling=0, comment=comment)
    return encoded.getvalue()


def _block_max(total):
    """Per 8x8 block, the largest value of `total` (whose sides are whole blocks)."""
    height, width = total.shape
    return total.reshape(height // _BLOCK, _BLOCK, width // _BLOCK, _BLOCK).max(axis=(1, 3))


def _decoded_excess(data: bytes, ceiling: int):
    """Per 8x8 block of the decoded JPEG, how far its heaviest pixel goes over `ceiling` (<= 0: not over);
    None when no pixel does (the common case, told without the blocks)."""
    import numpy

    with Image.open(io.BytesIO(data)) as decoded:
        total = _total_ink(numpy.asarray(decoded))
    if total.max() <= ceiling:
        return None
    height, width = total.shape
    rows, columns = -(-height // _BLOCK), -(-width // _BLOCK)
    padded = numpy.pad(total, ((0, rows * _BLOCK - height), (0, columns * _BLOCK - width)), mode="edge")
    return _block_max(padded).astype(numpy.int32) - ceiling


def _blocks_within(originals, limits, ceiling: int):
    """8x8 CMYK blocks (n, 8, 8, 4) with their ink limited so that each decodes from JPEG with no pixel over
    `ceiling`: each block's limit (`limits`, per block) is lowered by what it went over until it does not.
    The blocks are coded in a mosaic of their own (they decode there as in the photo), and only those still
    over go round again. Returns the limited blocks and the limits they got."""
    import numpy

    limits = limits.astype(numpy.int32)
    result = numpy.empty_like(originals)
    todo = numpy.arange(len(originals))
    for _ in range(_INK_ROUNDS):
        count = todo.size
        across = min(count, _MOSAIC_WIDTH)
        down = -(-count // across)
        blocks = numpy.zeros((down * across, _BLOCK, _BLOCK, 4), dtype=numpy.uint8)
        blocks[:count] = originals[todo]
        limit = numpy.full(down * across, ceiling, dtype=numpy.int32)
        limit[:count] = limits[todo]
        corrected = _limit_ink(blocks, numpy.broadcast_to(limit[:, None, None], blocks.shape[:3]))
        result[todo] = corrected[:count]
        mosaic = corrected.reshape(down, across, _BLOCK, _BLOCK, 4).swapaxes(1, 2).reshape(
            down * _BLOCK, across * _BLOCK, 4)
        over = _decoded_excess(_encode(Image.fromarray(numpy.ascontiguousarray(mosaic), "CMYK"), optimize=False),
                               ceiling)
        if over is None:
            break
        over = over.reshape(-1)[:count]
        still = over > 0
        limits[todo[still]] -= over[still] + _INK_MARGIN
        todo = todo[still]
    return result, limits


def _encode_within_ink(source, width: int, height: int, max_ink: int, comment: bytes) -> bytes:
    """The CMYK photo (`source`: its pixels padded to whole 8x8 blocks, see `_in_blocks`) as JPEG with no pixel
    over max_ink percent in total AFTER encoding. JPEG's rounding adds a few percent where the limit cut. So the
    pixels are limited a little under max_ink, and the blocks near the limit are corrected before the photo is
    encoded: gathered in a small mosaic, their limit lowered block by block by what each went over in it, until
    none does (the blocks are coded independently, so they decode in the file as in the mosaic). The photo is
    encoded once, and the file decoded and checked; a block that went over all the same (rare) is corrected
    the same way, and the photo encoded again."""
    import numpy

    rows, columns = source.shape[0] // _BLOCK, source.shape[1] // _BLOCK
    ceiling = math.floor(max_ink * 255 / 100) - _DECODER_ROUNDING
    total = _total_ink(source)
    current = _limit_ink(source, ceiling - _INK_MARGIN, total)
    blocks = lambda array: array.reshape(rows, _BLOCK, columns, _BLOCK, 4).swapaxes(1, 2)  # noqa: E731
    limits = numpy.full((rows, columns), ceiling - _INK_MARGIN, dtype=numpy.int32)
    at = numpy.nonzero(numpy.minimum(_block_max(total), ceiling - _INK_MARGIN) > ceiling - _NEAR_LIMIT)
    data = b""
    for _ in range(3):
        if at[0].size:
            if current is source:
                current = source.copy()
            corrected, limits[at] = _blocks_within(blocks(source)[at], limits[at], ceiling)
            blocks(current)[at] = corrected
        data = _encode(_view(current, width, height), comment, optimize=False)
        excess = _decoded_excess(data, ceiling)
        if excess is None:
            return data
        at = numpy.nonzero(excess > 0)
        limits[at] -= excess[at] + _INK_MARGIN
    return data


@dataclass(frozen=True)
class _Version:
    """One version of one placed photo to make: where it goes and how large it is."""

    request: ImageRequest
    version: PhotoVersion
    output: Path


KEEP_SIZE_ABOVE = 0.95
"""A photo that needs to be made smaller by less than this much (at most 5 %: at most 1.05 times the pixels
per inch asked for, 1.1 times the pixels) keeps its pixels as they are: a resample costs as much time as one
from a photo twice the size, and would make it a little softer for a file that is a little smaller."""


def _target_scale(request: ImageRequest, version: PhotoVersion, width: int, height: int) -> float:
    scale = pixels_for(request.width_mm, version.ppi) / width
    if request.height_mm:
        scale = max(scale, pixels_for(request.height_mm, version.ppi) / height)
    return scale


def _header(path: Path) -> tuple[tuple[int, int], int, str | None] | None:
    """The size, EXIF orientation and format of a photo, from its header; None when it cannot be read
    (`open_photo` says why)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.size, _orientation(image), image.format
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


_DRAFT_GAP = 2.0
"""libjpeg decodes a JPEG at 1/2, 1/4 or 1/8 for a fraction of the time (each pixel the mean of a block: a
soft reduction); it is asked for at least this many times the size needed, and Lanczos does the rest, where
its sharpness shows (as Pillow's thumbnail does). Decoded to the size needed, a photo was 10 % softer."""


def _draft(header: tuple[tuple[int, int], int, str | None] | None, item: _Version) -> tuple[int, int] | None:
    """The size to ask libjpeg to decode the original at for this version (it decodes at 1/2, 1/4 or 1/8,
    never below that size), when the original is a JPEG large enough for that (see `_DRAFT_GAP`)."""
    if header is None or header[2] != "JPEG":
        return None
    (raw_width, raw_height), orientation, _ = header
    width, height = (raw_height, raw_width) if orientation >= 5 else (raw_width, raw_height)
    wanted = _target_scale(item.request, item.version, width, height) * _DRAFT_GAP
    return (max(1, math.ceil(raw_width * wanted)), max(1, math.ceil(raw_height * wanted))) if wanted <= 0.5 else None


def _prepare_original(path: Path, versions: Sequence[_Version]) -> list[Prepared]:
    """Every version asked of one original, each from a decode at the scale it needs (libjpeg's own, see
    `_draft`), the versions that need the same scale from one decode: so a version's pixels depend on the
    original and that version only, not on the others made with it. Runs in a pool worker or here."""
    header = _header(path)
    scales: dict[tuple[int, int] | None, list[int]] = {}
    for index, item in enumerate(versions):
        scales.setdefault(_draft(header, item), []).append(index)
    results: list[Prepared] = [(None, [])] * len(versions)
    for draft, indices in scales.items():
        for index, result in zip(indices, _from_one_decode(path, [versions[index] for index in indices], draft)):
            results[index] = result
    return results


def _from_one_decode(path: Path, versions: Sequence[_Version], draft: tuple[int, int] | None) -> list[Prepared]:
    """The versions from one decode of the original, at the `draft` size when it is a JPEG."""
    first = versions[0].request
    full: dict[str, tuple] = {}
    orientation = 1

    def reduce(image: Image.Image) -> None:
        nonlocal orientation
        orientation = _orientation(image)
        full["raw"], full["box"] = image.size, None
        if image.format == "JPEG" and draft:
            drafted = image.draft(None, draft)
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
        if scale < KEEP_SIZE_ABOVE:
            size = (max(1, round(original_width * scale)), max(1, round(original_height * scale)))
        raw_size = size[::-1] if turned else size
        if raw_size not in resized:
            picture = base if raw_size == base.size and box is None else resample(base, raw_size, box)
            resized[raw_size] = picture.transpose(_TRANSPOSE[orientation]) if orientation != 1 else picture
        picture = resized[raw_size]
        comment = f"{original_width}x{original_height}".encode()
        if item.version.output_profile:
            converted, pixels = _to_cmyk(picture, icc, item.version.output_profile)
            data = (_encode(converted, comment) if pixels is None
                    else _encode_within_ink(pixels, converted.width, converted.height, item.version.max_ink, comment))
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


def _digest(path: Path) -> bytes:
    """The SHA-256 of a file's bytes: read once in a process while its size and time of change stay the same
    (the live preview asks for every photo's cache key after every save)."""
    stat = path.stat()
    return _digest_of(path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=256)
def _digest_of(path: Path, size: int, changed: int, inode: int) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def _cache_key(digest: bytes, request: ImageRequest, version: PhotoVersion) -> str:
    """From the photo's content (`digest`), the size it is placed at, and how the version is made."""
    colour = ([_digest(version.output_profile), f"{int(PRESS_INTENT)}/{version.max_ink}".encode()]
              if version.output_profile else [b"srgb"])
    if version.web_quality:  # only then: the other versions keep the keys their cached files have
        colour.append(f"web{version.web_quality}".encode())
    return hashlib.sha256(b"|".join([digest, CACHE_VERSION.encode(), f"{request.width_mm:.2f}x{request.height_mm}"
                                     f"@{version.ppi}".encode(), *colour])).hexdigest()[:24]


def output_for(request: ImageRequest, version: PhotoVersion, cache_dir: Path) -> Path:
    """Where the prepared version of this photo is (or will be) in the cache."""
    return cache_dir / f"{_cache_key(_digest(request.path), request, version)}.jpg"


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


def _size(path: Path) -> int:
    """The size of a file (the larger of two photos in the same format takes longer)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


_WORKER = "from publication.render.images import serve_photos; serve_photos()"
_WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(256 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}
"""glibc gives each photo-sized array (tens of MB) fresh pages from the kernel and returns them when it is
freed: half the workers' system time went to those page faults. With these the heap keeps the pages for the
next array (the peak memory is the same: one photo at a time). Other C libraries ignore them."""
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


_PENDING: dict[Path, tuple[threading.Event, "_Pool"]] = {}
"""The prepared files a pool is making in the background (`start_photos`'s `background`): each event is set
once its file is made, or given up (then whoever asks for it makes it)."""
_PENDING_LOCK = threading.Lock()


_BACKGROUND: list["_Pool"] = []
"""Pools that went on with background jobs, until `wait_for_background` has seen them end."""


def wait_for_background() -> None:
    """Until every pool's background work is done and its workers have ended: a fork (core/second_core.py)
    needs this process to have no other thread. The build calls it before it forks."""
    while _BACKGROUND:
        _BACKGROUND.pop().join()


def _wait_for(output: Path) -> None:
    """Until a pool making `output` in the background has made it or given up, and has ended (so that this
    process has no other threads left, as a fork needs: core/second_core.py)."""
    with _PENDING_LOCK:
        pending = _PENDING.get(output)
    if pending:
        pending[0].wait()
        pending[1].join()


class _Pool:
    """`count` worker processes, each a fresh interpreter that imports only this module and takes one photo
    at a time. Not multiprocessing: its workers are forks of this process (which may run other threads, and
    holds WeasyPrint and the project: all counted in each worker's memory) or import the main script again
    (a user's script, run twice). The workers are this process's own children, so their CPU time counts in
    its getrusage(RUSAGE_CHILDREN). The `jobs` come first, the largest originals first (so that no worker is
    left with a large one when the others are done); then every worker goes on with the `later` jobs, in the
    background, while this process lays out the pages. A job a worker does not finish is left out of `made`,
    to be done here."""

    def __init__(self, jobs: dict[Path, list[_Version]], later: dict[Path, list[_Version]], count: int,
                 progress: Progress | None):
        import subprocess

        self.count, self.total, self.progress = count, len(jobs), progress
        self.waiting = sorted(jobs.items(), key=lambda job: -_size(job[0]))
        self.later = list(later.items())
        self.made: dict[Path, list[Prepared]] = {}
        self.lock = threading.Lock()
        self.stopped = False
        self.running = count
        self.background_taken = False
        self.in_background = 0
        self.first_done = threading.Event()
        self.popen = functools.partial(
            subprocess.Popen, [sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**_WORKER_MALLOC, **os.environ,
                 "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))})
        with _PENDING_LOCK:
            for _, items in self.later:
                for item in items:
                    _PENDING[item.output] = (threading.Event(), self)
        if self.later:
            _BACKGROUND.append(self)
        # daemons: a build that stops (an error, Ctrl-C) does not wait for photos made in the background
        self.threads = [threading.Thread(target=self._work, name=f"photo worker {number}", daemon=True)
                        for number in range(count)]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        worker = None
        healthy = False
        try:
            worker = self.popen()
            healthy = self._take(worker, self.waiting)
        except OSError:
            pass
        with self.lock:
            background = healthy and bool(self.later) and not self.stopped
            self.background_taken = self.background_taken or background
            self.in_background += background
        if not background:
            _close(worker)  # before the jobs are told done: its CPU time counts in this process's once it has ended
        with self.lock:
            self.running -= 1
            last = self.running == 0
        if last:
            if not self.background_taken:
                self._release([item for _, items in self.later for item in items])
            self.first_done.set()
        if background:
            try:
                self._take(worker, self.later)
            finally:
                with self.lock:  # the last worker gives up what no worker took (stopped, or the others failed)
                    self.in_background -= 1
                    untaken = [item for _, items in self.later for item in items] if not self.in_background else []
                self._release(untaken)
                _close(worker)

    def _take(self, worker, queue: list[tuple[Path, list[_Version]]]) -> bool:
        """Give the worker the jobs of `queue` one by one, until there are none; False if it failed."""
        import pickle

        background = queue is self.later
        try:
            while True:
                with self.lock:
                    if not queue or self.stopped:
                        return True
                    path, items = queue.pop(0)
                try:
                    pickle.dump((path, items), worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    worker.stdin.flush()
                    result = pickle.load(worker.stdout)
                finally:
                    if background:  # made, or given up (whoever waits for it makes it then)
                        self._release(items)
                if background:
                    continue
                with self.lock:
                    self.made[path] = result
                    if self.progress:
                        self.progress(path.name, len(self.made), self.total)
        except (OSError, EOFError, pickle.UnpicklingError):
            return False  # a worker that died (out of memory, killed) is no new way to fail: its job is made here

    def _release(self, items: list[_Version]) -> None:
        with _PENDING_LOCK:
            for item in items:
                pending = _PENDING.get(item.output)
                if pending and pending[1] is self:
                    del _PENDING[item.output]
                    pending[0].set()

    def wait(self) -> dict[Path, list[Prepared]]:
        """The jobs' results, once every worker has finished with them (some may be missing: see the class)."""
        try:
            self.first_done.wait()
        except BaseException:  # Ctrl-C: the workers finish the photo in hand, start no other, and end
            self.stopped = True
            raise
        return self.made

    def join(self) -> None:
        for thread in self.threads:
            if thread is not threading.current_thread():
                thread.join()


def _close(worker) -> None:
    if worker:
        with contextlib.suppress(OSError):
            worker.stdin.close()  # the worker ends at the end of its input
        worker.wait()


@dataclass
class PhotoBatch:
    """Photos being prepared (`start_photos`): `result()` waits for them."""

    results: dict[tuple[ImageRequest, PhotoVersion], Prepared]
    jobs: dict[Path, list[_Version]]
    pool: _Pool | None
    progress: Progress | None

    def result(self) -> dict[tuple[ImageRequest, PhotoVersion], Prepared]:
        made = dict(self.pool.wait()) if self.pool else {}
        for path, items in self.jobs.items():
            if path not in made:
                made[path] = _prepare_original(path, items)
                if self.progress:
                    self.progress(path.name, len(made), len(self.jobs))
        for path, items in self.jobs.items():
            for item, result in zip(items, made[path]):
                self.results[item.request, item.version] = result
        self.jobs = {}
        return self.results


def start_photos(requests: Sequence[ImageRequest], versions: Sequence[PhotoVersion], cache_dir: Path,
                 workers: int | None = None, background: Sequence[PhotoVersion] = (),
                 also: Sequence[tuple[ImageRequest, PhotoVersion]] = ()) -> PhotoBatch:
    """Start preparing every version of every photo that is not in the cache: on `workers` processes (default:
    every core, when more than one original is to be processed), or here when `result()` is asked. The
    `background` versions (the RGB versions of a CMYK layout's photos, needed once it is laid out) are made
    after the others by the workers, while this process goes on, and so are the versions of other photos
    `also` asks for (the web edition's); a later `prepare_photos` or
    `start_photos` that asks for one of them waits for it, or makes it itself when no worker did (the same
    bytes: a version depends only on its original). The result is the same, byte for byte, however many
    workers make it."""
    results: dict[tuple[ImageRequest, PhotoVersion], Prepared] = {}
    jobs: dict[Path, list[_Version]] = {}
    later: dict[Path, list[_Version]] = {}
    for request in dict.fromkeys(requests):
        try:
            data = _digest(request.path)
        except OSError as exc:
            for version in versions:
                results[request, version] = (None, [error(request.display, request.line, f"photo "
                                                          f"'{request.path.name}' cannot be read ({exc.strerror}); "
                                                          "check that the file is there and readable",
                                                          Code.IMAGE_UNREADABLE)])
            continue
        for version in dict.fromkeys(versions):
            output = cache_dir / f"{_cache_key(data, request, version)}.jpg"
            _wait_for(output)
            cached = _cached(request, output) if output.exists() else None
            if cached:
                results[request, version] = (cached, [])
            else:
                jobs.setdefault(request.path, []).append(_Version(request, version, output))
        for version in dict.fromkeys(background):
            _add_later(later, request, version, data, cache_dir, versions)
    for request, version in dict.fromkeys(also):
        try:
            _add_later(later, request, version, _digest(request.path), cache_dir, ())
        except OSError:
            continue  # whoever asks for it says what is wrong
    progress = PHOTO_PROGRESS.get()
    if progress and jobs:
        progress("", 0, len(jobs))
    count = processes_for(len(jobs)) if workers is None else workers
    pool = _Pool(jobs, later, min(count, len(jobs)), progress) if count > 1 and len(jobs) > 1 else None
    return PhotoBatch(results, jobs, pool, progress)


def _add_later(later: dict[Path, list[_Version]], request: ImageRequest, version: PhotoVersion, data: bytes,
               cache_dir: Path, asked: Sequence[PhotoVersion]) -> None:
    output = cache_dir / f"{_cache_key(data, request, version)}.jpg"
    if (version not in asked and output not in _PENDING and not output.exists()
            and all(item.output != output for item in later.get(request.path, ()))):
        later.setdefault(request.path, []).append(_Version(request, version, output))


def prepare_photos(requests: Sequence[ImageRequest], versions: Sequence[PhotoVersion], cache_dir: Path,
                   workers: int | None = None, background: Sequence[PhotoVersion] = (),
                   also: Sequence[tuple[ImageRequest, PhotoVersion]] = ()
                   ) -> dict[tuple[ImageRequest, PhotoVersion], Prepared]:
    """Every version of every photo: from the cache, or made (see `start_photos`)."""
    return start_photos(requests, versions, cache_dir, workers, background, also).result()


def prepare(request: ImageRequest, cache_dir: Path, ppi: int = 300, output_profile: Path | None = None,
            max_ink: int = 300) -> Prepared:
    """One photo in one version: with an output profile, converted to that press's CMYK; otherwise to sRGB."""
    version = PhotoVersion(ppi, output_profile, max_ink)
    return prepare_photos([request], [version], cache_dir, workers=1)[request, version]
