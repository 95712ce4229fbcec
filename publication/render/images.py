"""Stage 3: prepare photos for the size at which they are placed.

Each photo is turned upright (EXIF), converted to sRGB (or, for print, to the press's
CMYK output profile) and resized to the target
resolution at its placed width, never enlarged. Results are cached by content hash and
parameters, outside dist/, so an unchanged photo is not processed twice.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from ..core.dist import write_atomic
from ..core.problems import Code, Problem, error
from ..core.units import pixels_for

CACHE_VERSION = "1"
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


def resample(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The one resampler: Lanczos, with Pillow's reducing_gap, which first shrinks by whole factors
    (fast, box filter) and keeps Lanczos for the last factor of three, where its sharpness shows."""
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def open_photo(path: Path, display: str, line: int | None,
               draft: bool = False) -> tuple[Image.Image | None, list[Problem]]:
    """Open and decode a photo; `draft` decodes a JPEG at 1/8 scale, for checking only."""
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


def _normalised(image: Image.Image) -> tuple[Image.Image, bytes | None]:
    """Upright, 8 bits per channel, transparency flattened on white; with the embedded profile, if any."""
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    return image, icc


def _source_profile(icc: bytes | None) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc)) if icc else None
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def _to_srgb(image: Image.Image) -> Image.Image:
    image, icc = _normalised(image)
    source = _source_profile(icc)
    if source:
        try:
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB",
                                              renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image.convert("RGB")


# Photos go to press with relative colorimetric intent and black point compensation:
# colours that the press can print (skin, sky, the brand colours in event photos) stay
# exactly as they are, only out-of-gamut colours are clipped to the nearest printable
# one, and black point compensation maps the photo's black to the press's black so
# shadows keep their detail. It also does not depend on the quality of a profile's
# perceptual table, which profiles built from characterization data often lack.
PRESS_INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC


def _limit_ink(image: Image.Image, max_ink: int) -> Image.Image:
    """Take cyan, magenta and yellow out of the darkest pixels so no pixel carries more than
    max_ink percent in total; black stays, so the shadows keep their depth. A profile for
    sheet-fed offset (FOGRA39: 330%) can exceed what the press or paper takes."""
    import numpy  # here, not at the top: 40 ms of every build's start, and only a photo being prepared needs it

    pixels = numpy.asarray(image, dtype=numpy.float32)
    limit = max_ink * 255 / 100
    total = pixels.sum(axis=2)
    colour = pixels[..., :3].sum(axis=2)
    over = total > limit
    if not over.any():
        return image
    scale = numpy.ones_like(total)
    scale[over] = numpy.clip((limit - pixels[..., 3][over]) / numpy.maximum(colour[over], 1), 0, 1)
    pixels[..., :3] *= scale[..., None]
    return Image.fromarray(numpy.floor(pixels).astype(numpy.uint8), "CMYK")


def _to_cmyk(image: Image.Image, output_profile: Path, max_ink: int) -> Image.Image:
    """Convert from the embedded profile (or sRGB when there is none) to the press's CMYK."""
    image, icc = _normalised(image)
    source = _source_profile(icc)
    if image.mode == "CMYK" and source is None:
        return image  # untagged CMYK is taken to be for the press already
    if image.mode == "L" and source is None:
        image = image.convert("RGB")
    if source is None or (image.mode == "RGB") != (source.profile.xcolor_space.strip() == "RGB"):
        source, image = _SRGB_PROFILE, image.convert("RGB")
    transform = ImageCms.buildTransform(source, ImageCms.ImageCmsProfile(str(output_profile)), image.mode, "CMYK",
                                        renderingIntent=PRESS_INTENT, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    return _limit_ink(ImageCms.applyTransform(image, transform), max_ink)


def prepare(request: ImageRequest, cache_dir: Path, ppi: int = 300, output_profile: Path | None = None,
            max_ink: int = 300) -> tuple[PreparedImage | None, list[Problem]]:
    """With an output profile, the photo is converted to that press's CMYK; otherwise to sRGB."""
    data = request.path.read_bytes()
    colour = ([output_profile.read_bytes(), f"{int(PRESS_INTENT)}/{max_ink}".encode()] if output_profile
              else [b"srgb"])
    key = hashlib.sha256(b"|".join([data, CACHE_VERSION.encode(), f"{request.width_mm:.2f}x{request.height_mm}"
                                    f"@{ppi}".encode(), *colour])).hexdigest()[:24]
    output = cache_dir / f"{key}.jpg"
    if output.exists():
        with Image.open(output) as cached:
            width, height = cached.size
            original = cached.info.get("comment", b"").decode().split("x")
        if len(original) == 2:
            return PreparedImage(request, output, width, height, int(original[0]), int(original[1]),
                                 from_cache=True), []
    image, problems = open_photo(request.path, request.display, request.line)
    if image is None:
        return None, problems
    image = _to_cmyk(image, output_profile, max_ink) if output_profile else _to_srgb(image)
    original_width, original_height = image.size
    target_width = pixels_for(request.width_mm, ppi)
    scale = target_width / original_width
    if request.height_mm:
        scale = max(scale, pixels_for(request.height_mm, ppi) / original_height)
    if scale < 1:
        size = (max(1, round(original_width * scale)), max(1, round(original_height * scale)))
        image = resample(image, size)
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=90, optimize=True, subsampling=0,
               comment=f"{original_width}x{original_height}".encode())
    try:
        write_atomic(output, encoded.getvalue())  # two builds at once may prepare the same photo
    except OSError as exc:
        return None, [error(request.display, request.line, f"cannot store the prepared photo in .cache/: "
                            f"{exc.strerror} ({exc.filename}); make sure .cache/ is a folder you can write to",
                            Code.CACHE_UNWRITABLE)]
    return PreparedImage(request, output, image.width, image.height, original_width, original_height), []
