"""Photo preparation: one decode per original for all its versions, on every core, the same bytes
however it is made, and ink that stays under the limit after JPEG encoding and in the printed file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy
import pytest
from conftest import REPO
from PIL import Image

from publication.commands.build import BuildOptions, build
from publication.core.builtin import BUILTIN_ASSETS
from publication.render import images
from publication.render.images import ImageRequest, PhotoVersion, output_for, prepare_photos

PROFILE = BUILTIN_ASSETS / "icc" / "coated_fogra39_argyll.icc"
PRINT = PhotoVersion(300, PROFILE, 300)
SCREEN = PhotoVersion(150)
SAMPLE_PHOTOS = REPO / "content" / "photos"


def total_ink(path) -> numpy.ndarray:
    """Per pixel, the total ink of a CMYK JPEG in 0..1020 (255 per ink at 100 %)."""
    with Image.open(path) as picture:
        assert picture.mode == "CMYK"
        return numpy.asarray(picture, dtype=numpy.int32).sum(axis=2)


def dark_photo(path, size=(900, 600), seed=7) -> None:
    """A very dark, textured photo: the press profile's heaviest ink, with edges JPEG rounds over the limit."""
    rng = numpy.random.default_rng(seed)
    pixels = rng.integers(0, 40, (size[1], size[0], 3), dtype=numpy.uint8)
    pixels[::37, :, :] = 90  # thin lighter lines: sharp edges next to the darkest areas
    Image.fromarray(pixels, "RGB").save(path, quality=92)


def test_prepared_cmyk_photos_stay_under_max_ink_after_jpeg_encoding(tmp_path):
    dark_photo(tmp_path / "night.jpg")
    requests = [ImageRequest(tmp_path / "night.jpg", "content/a.md", 3, 60.0),
                ImageRequest(SAMPLE_PHOTOS / "dadema.jpg", "content/a.md", 5, 70.0),  # ordinary: 312 % unlimited
                ImageRequest(SAMPLE_PHOTOS / "van-ginkel.jpg", "content/a.md", 7, 70.0, 50.0)]
    made = prepare_photos(requests, [PRINT, PhotoVersion(300, PROFILE, 260)], tmp_path / "cache", workers=1)
    for (request, version), (prepared, problems) in made.items():
        assert not problems
        ink = total_ink(prepared.output)
        assert ink.max() * 100 / 255 <= version.max_ink, (request.path.name, version.max_ink, ink.max() * 100 / 255)
        assert ink.max() * 100 / 255 > version.max_ink - 12  # still dark: the limit is not met by washing out
    assert made[requests[0], PRINT][0].output != made[requests[0], PhotoVersion(300, PROFILE, 260)][0].output


def test_each_version_is_sized_for_its_resolution_and_a_draft_decode_looks_like_a_full_one(tmp_path):
    """The photo is 4000 px wide and placed at 60 mm: decoded at a quarter by libjpeg, then resampled.
    Compared with a full decode and a Lanczos resample it differs only by what JPEG's scaling does."""
    request = ImageRequest(SAMPLE_PHOTOS / "cover.jpg", "publication.yml", 4, 60.0)
    made = prepare_photos([request], [PRINT, SCREEN], tmp_path / "cache", workers=1)
    printed, screen = made[request, PRINT][0], made[request, SCREEN][0]
    assert (printed.pixel_width, screen.pixel_width) == (709, 354)
    assert (printed.original_width, printed.original_height) == (4000, 2250)
    with Image.open(request.path) as original:
        reference = images.resample(original.convert("RGB"), (screen.pixel_width, screen.pixel_height))
    with Image.open(screen.output) as prepared:
        difference = numpy.abs(numpy.asarray(prepared, dtype=numpy.int16) - numpy.asarray(reference, dtype=numpy.int16))
    assert difference.mean() < 2.0 and numpy.percentile(difference, 99) < 16


def test_a_photo_at_most_5_percent_larger_than_needed_keeps_its_pixels_one_twice_as_large_is_resampled(tmp_path):
    """Resampling 2000 px to 1940 costs as much as from 4000: a photo within 5 % of its size keeps its pixels
    (and so at least the 300 ppi asked for, at most 5 % more); one 7 % or twice too large is made smaller."""
    from publication.core.units import pixels_for

    rng = numpy.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (1500, 2000, 3), dtype=numpy.uint8), "RGB").save(tmp_path / "p.jpg")
    for fraction, kept in ((0.97, True), (0.955, True), (0.93, False), (0.5, False)):
        width_mm = 2000 * fraction / 300 * 25.4
        request = ImageRequest(tmp_path / "p.jpg", "content/a.md", 1, width_mm)
        prepared, problems = prepare_photos([request], [PRINT], tmp_path / "cache", workers=1)[request, PRINT]
        placed_ppi = prepared.pixel_width / (width_mm / 25.4)
        assert not problems and placed_ppi >= 299.5, (fraction, placed_ppi)
        if kept:
            assert (prepared.pixel_width, prepared.pixel_height) == (2000, 1500) and placed_ppi <= 300 / 0.95
        else:
            assert prepared.pixel_width == round(pixels_for(width_mm, 300)) < 2000, (fraction, prepared.pixel_width)


def test_an_exif_rotated_photo_is_upright_in_every_version(tmp_path):
    """A landscape sensor image marked 'rotate 90° clockwise' (EXIF orientation 6), large enough to be
    decoded as a draft: every version is portrait, with the red corner at the top right."""
    pixels = numpy.full((2400, 3200, 3), 200, dtype=numpy.uint8)
    pixels[:400, :400] = (220, 20, 20)  # top left of the sensor image: the top right once upright
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels, "RGB").save(tmp_path / "turned.jpg", quality=92, exif=exif)
    request = ImageRequest(tmp_path / "turned.jpg", "content/a.md", 2, 50.0)
    made = prepare_photos([request], [PRINT, SCREEN], tmp_path / "cache", workers=1)
    for version in (PRINT, SCREEN):
        prepared = made[request, version][0]
        assert prepared.pixel_height > prepared.pixel_width and prepared.original_width == 2400
        with Image.open(prepared.output) as picture:
            rgb = picture.convert("RGB")
            top_right, top_left = rgb.getpixel((rgb.width - 5, 5)), rgb.getpixel((5, 5))
        assert top_right[0] > 150 and top_right[1] < 90, (version, top_right)
        assert abs(top_left[0] - top_left[1]) < 30, (version, top_left)


def test_the_cache_key_changes_with_the_cache_version(tmp_path, monkeypatch):
    request = ImageRequest(SAMPLE_PHOTOS / "dorp.jpg", "content/a.md", 1, 40.0)
    before = output_for(request, PRINT, tmp_path)
    monkeypatch.setattr(images, "CACHE_VERSION", images.CACHE_VERSION + "-next")
    assert output_for(request, PRINT, tmp_path) != before


PARALLEL = """
    import hashlib, resource, sys
    from pathlib import Path
    from publication.render.images import ImageRequest, PhotoVersion, prepare_photos, wait_for_background

    folder, profile = Path(sys.argv[1]), Path(sys.argv[2])
    requests = [ImageRequest(path, "content/a.md", line, 45.0 + line, 30.0 if line % 2 else None)
                for line, path in enumerate(sorted((folder / "photos").iterdir()))]
    versions = [PhotoVersion(300, profile, 300), PhotoVersion(150)]
    # other photo versions, as the web edition asks for them: other sizes, another quality
    web = PhotoVersion(254, web_quality=68)
    web_requests = [ImageRequest(request.path, request.path.name, None, width) for request in requests
                    for width in (48.0, 96.0)]
    for count in (1, 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        made = prepare_photos(requests, versions, folder / f"cache-{count}", workers=count)
        made.update(prepare_photos(web_requests, [web], folder / f"cache-{count}", workers=count))
        print("children-cpu", count, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before)
        for (request, version), (prepared, problems) in made.items():
            digest = hashlib.sha256(prepared.output.read_bytes()).hexdigest() if prepared else problems[0].code.value
            print(count, request.path.name, request.width_mm, version.ppi, prepared.output.name if prepared else "-",
                  digest)
    # the RGB versions and the other versions made in the background by the pool, while this process goes on,
    # then asked for
    made = prepare_photos(requests, versions[:1], folder / "cache-b", workers=2, background=versions[1:],
                          also=[(request, web) for request in web_requests])
    wait_for_background()
    import threading
    print("threads", threading.active_count())  # the pool's threads have ended: a fork may follow
    made.update(prepare_photos(requests, versions[1:], folder / "cache-b", workers=1))
    made.update(prepare_photos(web_requests, [web], folder / "cache-b", workers=1))
    for (request, version), (prepared, problems) in made.items():
        digest = hashlib.sha256(prepared.output.read_bytes()).hexdigest() if prepared else problems[0].code.value
        print("b", request.path.name, request.width_mm, version.ppi, prepared.output.name if prepared else "-",
              digest)
        if prepared and version.ppi != 300:
            print("background-made", prepared.from_cache)
"""


def test_photos_prepared_in_parallel_and_serially_are_byte_identical(tmp_path):
    """The same files, byte for byte, from this process, from a pool of two, whose workers did the work
    (their CPU time is this process's children's), and with the RGB versions and other photos' versions (the web
    edition's) made in the background by the pool and then asked for (found made); a damaged photo gives its
    error either way."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("cover.jpg", "zaal.jpg", "dadema.jpg"):
        (photos / name).write_bytes((SAMPLE_PHOTOS / name).read_bytes())
    dark_photo(photos / "night.jpg")
    rgba = numpy.zeros((500, 700, 4), dtype=numpy.uint8)
    rgba[..., 0], rgba[..., 3] = 180, numpy.linspace(0, 255, 700, dtype=numpy.uint8)
    Image.fromarray(rgba, "RGBA").save(photos / "transparent.png")
    (photos / "cut.jpg").write_bytes((SAMPLE_PHOTOS / "dorp.jpg").read_bytes()[:30_000])
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(PARALLEL), str(tmp_path), str(PROFILE)],
                            cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PUBLICATION_SERIAL": "0"})
    assert result.returncode == 0, result.stderr
    lines = [line.split(" ", 1) for line in result.stdout.splitlines()]
    serial = sorted(rest for count, rest in lines if count == "1")
    parallel = sorted(rest for count, rest in lines if count == "2")
    in_background = sorted(rest for count, rest in lines if count == "b")
    assert len(serial) == 24 and serial == parallel == in_background
    assert [rest for count, rest in lines if count == "background-made"] == ["True"] * 15
    assert [rest for count, rest in lines if count == "threads"] == ["1"]
    assert sum("image-damaged" in line for line in serial) == 4
    children = dict(rest.split() for count, rest in lines if count == "children-cpu")
    assert float(children["1"]) < 0.05 and float(children["2"]) > 0.5, children


@pytest.fixture(scope="module")
def dark_print(tmp_path_factory):
    """The print file of a small project with a very dark photo on the cover and an ordinary one inside."""
    from conftest import ProjectFactory

    project = ProjectFactory(tmp_path_factory.mktemp("dark") / "project")
    dark_photo(project.content / "photos" / "cover.jpg", size=(2600, 3600))
    with Image.open(SAMPLE_PHOTOS / "dadema.jpg") as ordinary:
        ordinary.crop((0, 0, 2400, 1600)).save(project.content / "photos" / "foto.jpg", quality=92)
    result = build(project.root, BuildOptions(targets=("print",), force=True))
    return next(path for path in result.written if path.name.endswith("-print.pdf"))


def test_no_area_of_the_printed_file_is_over_max_ink(dark_print, tmp_path):
    """Ghostscript's separations at 300 dpi, inside the TrimBox (the crop marks read 400 %): fewer
    pixels over 300 % in total than make 1 mm² (the print shops' measure), on every page."""
    import pikepdf

    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r300",
                    f"-sOutputFile={tmp_path}/page-%02d.tif", str(dark_print)], check=True, timeout=300)
    with pikepdf.open(dark_print) as pdf:
        boxes = [([float(v) for v in page.obj.get("/MediaBox")], [float(v) for v in page.obj.get("/TrimBox")])
                 for page in pdf.pages]
    one_mm2 = (300 / 25.4) ** 2
    darkest = []
    for number, (media, trim) in enumerate(boxes, start=1):
        plates = [tmp_path / f"page-{number:02d}({ink}).tif" for ink in ("Cyan", "Magenta", "Yellow", "Black")]
        ink = sum((255 - numpy.asarray(Image.open(plate), dtype=numpy.int32)) for plate in plates) * 100 / 255
        scale = 300 / 72
        left, top = round((trim[0] - media[0]) * scale), round((media[3] - trim[3]) * scale)
        right, bottom = round((trim[2] - media[0]) * scale), round((media[3] - trim[1]) * scale)
        inside = ink[top + 2:bottom - 2, left + 2:right - 2]
        darkest.append(inside.max())
        assert (inside > 300.5).sum() < one_mm2, (number, (inside > 300.5).sum() / one_mm2, inside.max())
        assert inside.max() <= 300.5, (number, inside.max())  # not even one pixel, in another decoder
    assert max(darkest) > 280  # the dark photo is there, and printed dark


def test_progress_of_the_photos_shows_on_a_terminal_only(project):
    """A cold build on a terminal (a pseudo-terminal from `script`) says which photo and how many are
    left; the same build with stderr piped prints nothing of it, even where a CI service asks rich for
    colours and terminal output."""
    import shutil

    def cold_build(on_terminal: bool, **forced: str) -> str:
        shutil.rmtree(project.root / ".cache", ignore_errors=True)
        command = [sys.executable, "-m", "publication", "build", str(project.root), "--target", "standard"]
        environment = {**os.environ, "COLUMNS": "120", "TERM": "xterm", **forced}
        if on_terminal:
            command = ["script", "-qec", " ".join(command), "/dev/null"]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, env=environment)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    shown = cold_build(on_terminal=True)
    assert "Preparing photos (2 left)" in shown and "(0 left), done: " in shown
    assert "Preparing photos" not in cold_build(on_terminal=False, FORCE_COLOR="1", TTY_COMPATIBLE="1")
