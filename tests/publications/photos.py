"""The photos of the test publications, drawn with Pillow when a test session builds them (so the
repository holds no binary photos): calm scenes of light colours, in the formats a new user brings
along: RGB and CMYK JPEG, a JPEG that only EXIF turns upright, a PNG with alpha, a greyscale image."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw


def scene(size: tuple[int, int], sky: tuple[int, int, int], land: tuple[int, int, int],
          shapes: tuple[int, int, int]) -> Image.Image:
    """A horizon: a gradient sky over a gradient field, with a few soft shapes on it."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, land), Image.new("RGB", size, sky), gradient)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.58)
    draw.rectangle((0, horizon, width, height), fill=tuple(int(c * 0.92) for c in land))
    for index in range(5):
        x = int(width * (0.1 + 0.18 * index))
        w, h = int(width * 0.12), int(height * (0.12 + 0.03 * (index % 3)))
        draw.polygon([(x, horizon), (x + w // 2, horizon - h), (x + w, horizon)], fill=shapes)
        draw.rectangle((x, horizon, x + w, horizon + h // 2), fill=tuple(min(255, c + 30) for c in shapes))
    draw.ellipse((int(width * 0.7), int(height * 0.08), int(width * 0.82), int(height * 0.08 + width * 0.12)),
                 fill=(250, 236, 190))
    return image


def draw_annual_report(content: Path) -> None:
    photos = content / "photos"
    photos.mkdir(exist_ok=True)
    scene((2600, 3650), (178, 208, 222), (196, 214, 170), (140, 170, 150)).save(
        photos / "cover.jpg", quality=88, dpi=(300, 300))
    scene((2600, 2600), (200, 214, 226), (170, 196, 200), (150, 150, 170)).save(
        photos / "back-cover.jpg", quality=88, dpi=(300, 300))
    # CMYK, as a print designer delivers it: converted plainly, without a profile, at moderate ink.
    scene((2100, 1575), (214, 226, 200), (180, 200, 140), (200, 150, 120)).convert("CMYK").save(
        photos / "courtyard-cmyk.jpg", quality=90, dpi=(300, 300))
    # Stored lying on its side; the EXIF orientation (6: rotate 90° clockwise) turns it upright.
    upright = scene((800, 1100), (206, 220, 232), (188, 206, 160), (236, 236, 230))
    exif = Image.Exif()
    exif[0x0112] = 6
    upright.transpose(Image.Transpose.ROTATE_90).save(photos / "portrait-exif.jpg", quality=88, exif=exif,
                                                      dpi=(300, 300))
    # A cut-out with a transparent background.
    robot = Image.new("RGBA", (600, 720), (0, 0, 0, 0))
    draw = ImageDraw.Draw(robot)
    draw.rounded_rectangle((150, 60, 450, 300), radius=40, fill=(214, 190, 150, 255))
    draw.rounded_rectangle((110, 320, 490, 640), radius=30, fill=(196, 170, 130, 255))
    draw.ellipse((200, 130, 260, 190), fill=(120, 160, 170, 255))
    draw.ellipse((340, 130, 400, 190), fill=(120, 160, 170, 255))
    draw.rectangle((490, 420, 580, 450), fill=(160, 160, 165, 200))
    robot.save(photos / "robot-alpha.png", dpi=(300, 300))
    scene((2100, 1200), (236, 214, 190), (214, 190, 160), (190, 150, 130)).save(
        photos / "supper.jpg", quality=88, dpi=(300, 300))
    scene((2200, 1150), (210, 210, 210), (170, 170, 170), (130, 130, 130)).convert("L").save(
        photos / "river-grey.jpg", quality=88, dpi=(300, 300))


def draw_leaflet(content: Path) -> None:
    photos = content / "photos"
    photos.mkdir(exist_ok=True)
    scene((1850, 2560), (220, 208, 190), (190, 206, 180), (170, 150, 140)).save(
        photos / "titel.jpg", quality=88, dpi=(300, 300))
    scene((1850, 1850), (200, 214, 226), (206, 200, 170), (150, 160, 180)).save(
        photos / "rueckseite.jpg", quality=88, dpi=(300, 300))
    scene((1500, 1000), (214, 224, 210), (200, 190, 150), (180, 140, 130)).save(
        photos / "markt.jpg", quality=88, dpi=(300, 300))
    scene((1500, 900), (206, 222, 232), (186, 208, 168), (236, 226, 200)).save(
        photos / "wiese.jpg", quality=88, dpi=(300, 300))


__all__ = ["draw_annual_report", "draw_leaflet"]
