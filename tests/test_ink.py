"""Total ink measured as a print shop measures it: the final print file at 300 dpi inside the trim,
every connected area above print.max_ink larger than 1 mm² a finding (with the photo and its line
when it lies on one), and the separations pictured in the preflight report."""

from __future__ import annotations

import io
import re
import subprocess

import numpy
import pikepdf
import pytest
from conftest import ProjectFactory
from PIL import Image
from test_print_shop import with_theme_css

from publication.commands.build import BuildOptions, build
from publication.core.pdf import page_digests
from publication.preflight.ink import SIGNAL, check_ink, measure, photo_places

MM = 72 / 25.4


def squares_pdf(squares: list[tuple[float, float, float, tuple[float, ...]]], *more_pages) -> bytes:
    """60 × 60 mm pages with 3 mm bleed and CMYK squares: (x, y from the top left of the trim, side, cmyk),
    `squares` on the first page, each of `more_pages` on one more."""
    pdf = pikepdf.new()
    for drawn in (squares, *more_pages):
        page = pdf.add_blank_page(page_size=(66 * MM, 66 * MM))
        page.obj.MediaBox = page.obj.BleedBox = [-3 * MM, -3 * MM, 63 * MM, 63 * MM]
        page.obj.TrimBox = [0, 0, 60 * MM, 60 * MM]
        content = "".join(f"{' '.join(f'{v:g}' for v in cmyk)} k {x * MM:.3f} {(60 - y - side) * MM:.3f} "
                          f"{side * MM:.3f} {side * MM:.3f} re f\n" for x, y, side, cmyk in drawn)
        page.obj.Contents = pdf.make_stream(content.encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_areas_above_the_limit_larger_than_one_square_millimetre():
    """A 0.8 mm square at 400% is a speck (0.64 mm²); a 1.3 mm one (1.69 mm²) and a 5 mm square at
    310% are areas; 300% is the limit itself; 400% in the bleed, outside the trim (where crop marks
    in registration colour would be), is cut off and not measured."""
    findings = check_ink(squares_pdf([(10, 10, 0.8, (1, 1, 1, 1)), (30, 10, 1.3, (1, 1, 1, 1)),
                                      (10, 30, 10, (1, 1, 1, 0)), (30, 30, 5, (1, 1, 1, 0.1)),
                                      (-3, 40, 2.9, (1, 1, 1, 1))]), 300).findings
    assert [(f.code, f.severity.value, f.page) for f in findings] == [("ink-coverage", "error", 1)] * 2
    small, large = sorted(findings, key=lambda finding: finding.area[2])
    assert small.area == pytest.approx((30, 10, 1.3, 1.3), abs=0.1)
    assert large.area == pytest.approx((30, 30, 5, 5), abs=0.1)
    assert re.search(r"an area of 2[56](\.\d)? mm² \(5\.[01]×5\.[01] mm, 30 mm from the left and 30 mm from the top",
                     large.message) and "up to 310% total ink" in large.message
    assert re.search(r"an area of 1\.[6-8] mm² .* up to 400% total ink, above the 300% the press allows", small.message)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A publication whose article titles stand on a box of 4 × 90 % ink, built with --force."""
    project = ProjectFactory(tmp_path_factory.mktemp("ink") / "project")
    with_theme_css(project, "h2.article-title { background: device-cmyk(0.9 0.9 0.9 0.9); }")
    result = build(project.root, BuildOptions(targets=("print",), force=True))
    return project, result


def title_box(result) -> tuple[float, float, float, float]:
    """The background of the title on page 2 (its padding box: its border is in another colour), in mm."""
    from publication.core.units import PX_PER_MM
    from publication.preflight.pages import walk

    [rendition] = result.renditions
    box = next(placed.box for placed in walk(rendition.document)
               if placed.page == 2 and placed.element == "h2.article-title")
    return tuple(value / PX_PER_MM for value in (box.padding_box_x(), box.padding_box_y(), box.padding_width(),
                                                  box.padding_height()))


def test_a_box_of_too_much_ink_is_reported_with_its_area(planted):
    project, result = planted
    findings = [f for f in result.preflight.findings if f.code == "ink-coverage"]
    assert len(findings) == 1 and not result.preflight.passed
    (finding,) = findings
    x, y, width, height = title_box(result)
    assert finding.page == 2 and finding.area == pytest.approx((x, y, width, height), abs=0.3)
    mm2 = float(re.search(r"an area of ([\d.]+) mm²", finding.message).group(1))
    assert 0.85 * width * height < mm2 <= width * height * 1.01, "the box, less the title's letters at most"
    assert "up to 359% total ink, above the 300% the press allows; use a colour with less ink" in finding.message


def test_the_report_shows_each_plate_and_the_areas_above_the_limit(planted):
    project, result = planted
    separations = result.preflight.separations
    assert [page.page for page in separations] == [1, 2, 3, 4] and separations[1].highest == 359
    html = (project.root / "dist" / "testbrochure-preflight.html").read_text()
    for plate in ("cyan", "magenta", "yellow", "black", "total"):
        assert html.count(f'<figure class="plate {plate}">') == 4
    assert re.search(r'<figure class="plate total">.*?<div class="mark error"[^>]*><span>1</span>', html, re.S)
    x, y, width, height = title_box(result)
    for page in separations:
        total = numpy.asarray(Image.open(io.BytesIO(page.plates[4])).convert("RGB"))
        cyan = numpy.asarray(Image.open(io.BytesIO(page.plates[0])))
        signal = (total == SIGNAL).all(axis=2)
        if page.page != 2:
            assert not signal.any()
            continue
        scale = total.shape[1] / page.width_mm
        rows, columns = numpy.nonzero(signal)
        assert columns.min() / scale == pytest.approx(x, abs=2) and columns.max() / scale == pytest.approx(
            x + width, abs=2)
        assert rows.min() / scale == pytest.approx(y, abs=2) and rows.max() / scale == pytest.approx(y + height, abs=2)
        band = cyan[round((y + height / 2) * scale), round((x + 5) * scale):round((x + width - 5) * scale)]
        assert numpy.median(band) == pytest.approx(255 * 0.1, abs=3), "the cyan plate at 90% under the title"


def test_an_area_on_a_photo_names_the_photo_and_its_line(planted):
    """The build keeps photos under max_ink; measured against 100%, the ordinary photos are above it,
    and each area on one names the photo and the line that places it."""
    project, result = planted
    [rendition] = result.renditions
    pdf = (project.root / "dist" / "testbrochure-print.pdf").read_bytes()
    findings = check_ink(pdf, 100, photos=photo_places(rendition)).findings
    named = {(f.page, f.element, f.location) for f in findings if f.element}
    assert (2, "photo foto.jpg", "content/01-artikel.md:7") in named
    assert (1, "photo cover.jpg", "content/publication.yml:6") in named
    on_photo = next(f for f in findings if f.element == "photo foto.jpg")
    assert "on photo 'foto.jpg'" in on_photo.message
    assert any(f.page == 2 and not f.element and "use a colour with less ink" in f.message for f in findings)


def test_the_samples_print_file_has_no_area_above_the_limit(sample_build):
    report = sample_build.preflight
    assert not [f for f in report.findings if f.code == "ink-coverage"]
    assert len(report.separations) == report.pages
    assert 280 < max(page.highest for page in report.separations) <= 301, "its dark photos measured in full"


def test_the_plates_are_those_of_ghostscripts_tiffsep(sample_build, tmp_path):
    """The check reads Ghostscript's pamcmyk32 (through a pipe, three times faster); on the sample's
    page 5 (photos, a tint, black text overprinting it) its plates are tiffsep's, pixel for pixel but
    along an edge of a photo (where the two put it one pixel apart)."""
    printed = sample_build.project.dist_dir / f"{sample_build.project.slug}-print.pdf"
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r100", "-dUseTrimBox",
                    "-dFirstPage=5", "-dLastPage=5", f"-sOutputFile={tmp_path / 'page.tif'}", str(printed)], check=True)
    plates = numpy.stack([255 - numpy.asarray(Image.open(tmp_path / f"page({ink}).tif"), dtype=int)
                          for ink in ("Cyan", "Magenta", "Yellow", "Black")], axis=2)
    piped = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pamcmyk32", "-r100",
                            "-dUseTrimBox", "-dFirstPage=5", "-dLastPage=5", "-sOutputFile=-", str(printed)],
                           check=True, capture_output=True).stdout
    ours = numpy.frombuffer(piped[piped.index(b"ENDHDR\n") + 7:], numpy.uint8).reshape(plates.shape).astype(int)
    differ = numpy.abs(ours - plates).max(axis=2) > 1
    rows, columns = numpy.nonzero(differ)
    assert differ.mean() < 0.005 and min(len(set(rows)), len(set(columns))) <= 16, "along a photo's edge only"
    assert (plates[:, :, 0] > 5).mean() > 0.05 and (plates[:, :, 3] > 240).sum() > 1000


def test_a_measurement_is_kept_per_page(tmp_path):
    one, two, three = [(30, 30, 5, (1, 1, 1, 0.1))], [(10, 10, 4, (1, 1, 1, 1))], [(20, 20, 3, (0.2, 0.2, 0.2, 0.2))]
    first = measure(squares_pdf(one, two, three), 300, tmp_path)
    assert [area.page for area in first.areas] == [1, 2] and len(list(tmp_path.glob("*.json"))) == 3

    # the second page changed: only it is rendered and kept anew; the result is what a fresh check says
    edited = squares_pdf(one, [(10, 10, 6, (1, 1, 1, 1))], three)
    again = measure(edited, 300, tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 4
    assert again == measure(edited, 300) and again.areas[1].box == pytest.approx((10, 10, 6, 6), abs=0.1)

    # pages that moved keep their measurement, under their new numbers
    moved = measure(squares_pdf(three, two, one), 300, tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 4
    assert [(area.page, area.mm2) for area in moved.areas] == [(2, first.areas[1].mm2), (3, first.areas[0].mm2)]
    assert [page.page for page in moved.pages] == [1, 2, 3]

    # read from the cache, not measured again; another limit is measured anew
    for kept in tmp_path.glob("*.json"):
        kept.write_bytes(kept.read_bytes().replace(b"25.8, 310]]", b"25.8, 311]]"))
    assert measure(squares_pdf(one), 300, tmp_path).areas[0].highest == 311, "read from the cache"
    assert measure(squares_pdf(one), 305, tmp_path).areas[0].highest == 310, "another limit is measured anew"


def test_a_page_digest_covers_what_the_page_draws_and_nothing_else():
    """As WeasyPrint writes them, all pages share one /Resources with every image: a page's digest follows
    the images it draws (through a form too) and ignores the others, so a new photo re-checks its page only."""
    def document(first: bytes, second: bytes, form_matrix: str = "1 0 0 1 0 0") -> pikepdf.Pdf:
        pdf = pikepdf.new()
        images = [pdf.make_stream(pixels, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                                  ColorSpace=pikepdf.Name.DeviceCMYK, BitsPerComponent=8) for pixels in (first, second)]
        form = pdf.make_stream(b"q 10 0 0 10 0 0 cm /Im1 Do Q", Type=pikepdf.Name.XObject,
                               Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
        shared = pdf.make_indirect(pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=images[0], Im2=images[1],
                                                                                  Fm1=form)))
        for drawn in (f"q {form_matrix} cm /Fm1 Do Q".encode(), b"q 10 0 0 10 0 0 cm /Im2 Do Q"):
            page = pdf.add_blank_page(page_size=(100, 100))
            page.obj.Resources = shared
            page.obj.Contents = pdf.make_stream(drawn)
        return pdf

    blank, full = b"\0\0\0\0", b"\xff\0\0\0"
    first, second = page_digests(document(blank, blank))
    assert first != second
    other_second = page_digests(document(blank, full))
    assert other_second[0] == first and other_second[1] != second, "an image the first page does not draw"
    other_first = page_digests(document(full, blank))
    assert other_first[1] == second and other_first[0] != first, "an image the first page draws through a form"
    assert page_digests(document(blank, blank, "2 0 0 2 0 0"))[0] != first, "the content itself"


def test_many_pages_are_shared_among_ghostscripts_and_measured_alike(monkeypatch):
    """A first build measures every page: one Ghostscript per core, every other page each. The areas, their
    pages and the separations are those one Ghostscript measures, in page order."""
    import subprocess as processes

    import publication.core.second_core as second_core

    pages = [[(5 + number, 10, 2 + number / 2, (1, 1, 1, 0.1 * number))] for number in range(7)]
    pdf = squares_pdf(*pages)
    monkeypatch.setenv("PUBLICATION_SERIAL", "1")
    alone = measure(pdf, 300)

    started: list[list[str]] = []
    popen = processes.Popen

    def counted(command, *args, **kwargs):
        started.append(command)
        return popen(command, *args, **kwargs)

    monkeypatch.delenv("PUBLICATION_SERIAL")
    monkeypatch.setattr(second_core, "cores", lambda: 2)
    monkeypatch.setattr(processes, "Popen", counted)
    shared = measure(pdf, 300)
    page_lists = sorted(argument for command in started for argument in command if argument.startswith("-sPageList"))
    assert page_lists == ["-sPageList=1,3,5,7", "-sPageList=2,4,6"]
    assert shared == alone
    assert [area.page for area in shared.areas] == [2, 3, 4, 5, 6, 7] and [p.page for p in shared.pages] == list(
        range(1, 8))


@pytest.mark.parametrize("shared", [False, True])
def test_a_ghostscript_that_fails_or_is_missing_is_a_warning_not_a_crash(tmp_path, monkeypatch, shared):
    """Whether one Ghostscript or one per core measures the pages, one that stops with an error (its own
    words in the warning) or one not installed gives a warning, and the build goes on."""
    import publication.core.second_core as second_core

    monkeypatch.setattr(second_core, "cores", lambda: 2 if shared else 1)
    failing = tmp_path / "failing"
    failing.mkdir()
    (failing / "gs").write_text("#!/bin/sh\necho 'Error: /undefined in --run--' >&2\nexit 1\n")
    (failing / "gs").chmod(0o755)
    pdf = squares_pdf(*[[(10, 10, 5, (0.1, 0, 0, 0))]] * 7)
    monkeypatch.setenv("PATH", f"{failing}:/usr/bin:/bin")
    [finding] = check_ink(pdf, 300).findings
    assert finding.severity.value == "warning" and "Error: /undefined in --run--" in finding.message
    (failing / "gs").unlink()
    monkeypatch.setenv("PATH", str(failing))
    [finding] = check_ink(pdf, 300).findings
    assert finding.severity.value == "warning" and "install it with ./setup.sh" in finding.message
