"""Stage 3: prepare photos for the size at which they are placed.

Each photo is turned upright (EXIF), converted to sRGB and resized to the target
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

from .errors import Issue, error
from .output import write_atomic

CACHE_VERSION = "1"
MAX_PIXELS = 120_000_000
_SRGB = ImageCms.createProfile("sRGB")


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

    @property
    def effective_ppi(self) -> float:
        return self.original_width / (self.request.width_mm / 25.4) if self.pixel_width == self.original_width \
            else self.pixel_width / (self.request.width_mm / 25.4)


def _open(path: Path, display: str, line: int | None, draft: bool = False) -> tuple[Image.Image | None, Issue | None]:
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
        return image, None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, error(display, line, f"photo '{path.name}' has too many pixels (over {MAX_PIXELS // 1_000_000} "
                           "megapixels); scale it down to at most 8000 px on the long side", "image-too-large")
    except UnidentifiedImageError:
        kind = "empty (0 bytes)" if path.stat().st_size == 0 else "not an image format we can read"
        return None, error(display, line, f"photo '{path.name}' is {kind}; export it again as JPEG or PNG",
                           "image-unreadable")
    except (OSError, SyntaxError, ValueError) as exc:
        return None, error(display, line, f"photo '{path.name}' is damaged or incomplete ({exc}); "
                           "export it again as JPEG or PNG", "image-damaged")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_allowed


def _to_srgb(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = image.mode if image.mode in ("RGB", "CMYK", "L") else "RGB"
            image = ImageCms.profileToProfile(image.convert(mode), source, _SRGB, outputMode="RGB",
                                              renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image.convert("RGB")


def prepare(request: ImageRequest, cache_dir: Path, ppi: int = 300) -> tuple[PreparedImage | None, Issue | None]:
    data = request.path.read_bytes()
    key = hashlib.sha256(b"|".join([data, CACHE_VERSION.encode(), f"{request.width_mm:.2f}x{request.height_mm}"
                                    f"@{ppi}".encode()])).hexdigest()[:24]
    output = cache_dir / f"{key}.jpg"
    if output.exists():
        with Image.open(output) as cached:
            width, height = cached.size
            original = cached.info.get("comment", b"").decode().split("x")
        if len(original) == 2:
            return PreparedImage(request, output, width, height, int(original[0]), int(original[1]),
                                 from_cache=True), None
    image, problem = _open(request.path, request.display, request.line)
    if image is None:
        return None, problem
    image = _to_srgb(image)
    original_width, original_height = image.size
    target_width = request.width_mm / 25.4 * ppi
    scale = target_width / original_width
    if request.height_mm:
        scale = max(scale, request.height_mm / 25.4 * ppi / original_height)
    if scale < 1:
        size = (max(1, round(original_width * scale)), max(1, round(original_height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=90, optimize=True, subsampling=0,
               comment=f"{original_width}x{original_height}".encode())
    try:
        write_atomic(output, encoded.getvalue())  # two builds at once may prepare the same photo
    except OSError as exc:
        return None, error(request.display, request.line, f"cannot store the prepared photo in .cache/: "
                           f"{exc.strerror} ({exc.filename}); make sure .cache/ is a folder you can write to",
                           "cache-unwritable")
    return PreparedImage(request, output, image.width, image.height, original_width, original_height), None


def prepare_all(requests: list[ImageRequest], cache_dir: Path, ppi: int = 300) -> tuple[dict[ImageRequest, PreparedImage], list[Issue]]:
    prepared: dict[ImageRequest, PreparedImage] = {}
    issues: list[Issue] = []
    for request in dict.fromkeys(requests):
        result, problem = prepare(request, cache_dir, ppi)
        if problem:
            issues.append(problem)
        elif result:
            prepared[request] = result
    return prepared, issues
