"""The sample's print PDF, read back with pikepdf, poppler and Ghostscript."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections import Counter

import pikepdf
import pytest
from PIL import ImageCms
from pypdf import PdfReader

MM = 72 / 25.4


@pytest.fixture(scope="module")
def print_pdf(sample_build):
    return sample_build.project.dist_dir / f"{sample_build.project.slug}-print.pdf"


@pytest.fixture(scope="module")
def pdf(print_pdf):
    with pikepdf.open(print_pdf) as document:
        yield document


@pytest.fixture(scope="module")
def preflight_json(sample_build):
    return json.loads((sample_build.project.dist_dir / f"{sample_build.project.slug}-preflight.json").read_text())


def test_is_pdf_x4(pdf):
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
    assert pdf.pdf_version == "1.6"
    assert str(pdf.trailer.Info.Trapped) == "/False"


def test_output_intent_embeds_a_cmyk_profile(pdf):
    (intent,) = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFX"
    assert str(intent.OutputConditionIdentifier) == "FOGRA39"
    profile = intent.DestOutputProfile
    assert profile.N == 4
    icc = ImageCms.ImageCmsProfile(io.BytesIO(profile.read_bytes()))
    assert icc.profile.xcolor_space.strip() == "CMYK"


def test_trim_and_bleed_boxes_on_every_page_3mm_apart(pdf):
    for page in pdf.pages:
        trim = [float(v) for v in page.obj.TrimBox]
        bleed = [float(v) for v in page.obj.BleedBox]
        media = [float(v) for v in page.obj.MediaBox]
        assert [round(b - t, 2) for b, t in zip(bleed, trim)] == [round(-3 * MM, 2)] * 2 + [round(3 * MM, 2)] * 2
        assert round((trim[2] - trim[0]) / MM) == 210 and round((trim[3] - trim[1]) / MM) == 297
        assert media == bleed, "print.marks: none (the default): the page is the trimmed page plus the bleed"


def test_page_count_suits_saddle_stitching(pdf):
    assert len(pdf.pages) % 4 == 0


def test_every_font_embedded_and_none_type3(print_pdf):
    lines = subprocess.run(["pdffonts", str(print_pdf)], capture_output=True, text=True, check=True).stdout
    fonts = lines.splitlines()[2:]
    assert fonts
    for line in fonts:
        assert "Type 3" not in line
        assert re.search(r"\s(yes)\s+(yes)\s+(yes|no)\s+\d+\s+\d+$", line), line


def test_every_image_is_cmyk_at_300_ppi(print_pdf, preflight_json):
    lines = subprocess.run(["pdfimages", "-list", str(print_pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert len(lines) >= 6
    low_res_pages = {f["page"] for f in preflight_json["findings"] if f["check"] == "image-resolution"}
    for line in lines:
        fields = line.split()
        page, colour, components = int(fields[0]), fields[5], int(fields[6])
        x_ppi, y_ppi = int(fields[12]), int(fields[13])
        assert (colour, components) in (("cmyk", 4), ("icc", 4)), line
        if page in low_res_pages:  # a stand-in photo that is smaller than its place; preflight warns about it
            assert min(x_ppi, y_ppi) >= 150, line
        else:
            assert min(x_ppi, y_ppi) >= 300, line


def _content_streams(pdf):
    seen = set()

    def visit(stream, resources):
        if stream.objgen in seen:
            return
        seen.add(stream.objgen)
        resources = stream.get("/Resources", resources)
        yield stream, resources
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form":
                yield from visit(xobject, resources)

    for page in pdf.pages:
        contents = page.obj.Contents
        for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
            yield from visit(stream, page.obj.Resources)


def test_no_device_rgb_anywhere_in_the_page_content(pdf):
    for stream, resources in _content_streams(pdf):
        spaces = resources.get("/ColorSpace") or {}
        for operands, operator in pikepdf.parse_content_stream(stream):
            assert str(operator) not in ("rg", "RG"), f"RGB colour {list(operands)}"
            if str(operator) in ("cs", "CS"):
                space = spaces.get(str(operands[0]), operands[0])
                family = space[0] if isinstance(space, pikepdf.Array) else space
                assert family != "/DeviceRGB"
                if family == "/ICCBased":
                    assert space[1].N == 4
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Image":
                assert xobject.ColorSpace != "/DeviceRGB"


def test_body_text_is_100_percent_black(pdf):
    """The colour most text is drawn in is 0 0 0 1 in DeviceCMYK: not rich black, not RGB."""
    text_colours = Counter()
    for stream, _resources in _content_streams(pdf):
        fill = None
        for operands, operator in pikepdf.parse_content_stream(stream):
            name = str(operator)
            if name in ("sc", "scn", "k"):
                fill = tuple(round(float(v), 3) for v in operands)
            elif name in ("Tj", "TJ"):
                text_colours[fill] += 1
    assert text_colours.most_common(1)[0][0] == (0, 0, 0, 1)


def test_no_crop_marks_by_default(pdf):
    for page in pdf.pages:
        assert "/Registration" not in (page.obj.Resources.get("/ColorSpace") or {})
        content = b"".join(stream.read_bytes() for stream in page.obj.Contents) \
            if isinstance(page.obj.Contents, pikepdf.Array) else page.obj.Contents.read_bytes()
        assert b"/Registration" not in content


def ink_coverage(pdf_path) -> list[dict[str, float]]:
    """Per page, the share of the page that Ghostscript inks in each of C, M, Y and K."""
    out = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=inkcov", "-r36",
                          "-sOutputFile=-", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return [dict(zip("CMYK", map(float, line.split()[:4]))) for line in out.splitlines() if "CMYK" in line]


def test_ghostscript_measures_cmyk_ink_on_every_page(print_pdf, pdf):
    coverage = ink_coverage(print_pdf)
    assert len(coverage) == len(pdf.pages) >= 12, "Ghostscript reads every page of the print file"
    photos = {int(line.split()[0]) for line in subprocess.run(
        ["pdfimages", "-list", str(print_pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]}
    # Less than this is no photo: crop marks, when asked for, cover about 0.4 % of a page.
    marks_only = 0.01
    assert 1 in photos and all(coverage[0][ink] > 0.3 for ink in "CMYK"), f"the cover photo, full bleed: {coverage[0]}"
    for number in sorted(photos):
        inks = coverage[number - 1]
        assert all(inks[ink] > marks_only for ink in "CMY"), f"page {number} has a colour photo: {inks}"
    texts = [page.extract_text() for page in PdfReader(print_pdf).pages]
    for text in ("De wereld is in de afgelopen eeuw", "Ter afsluiting van de avond"):  # pages of running text
        [number] = [number for number, page in enumerate(texts, 1) if text in page]
        inks = coverage[number - 1]
        assert number not in photos and marks_only < inks["K"] < 0.2, f"page {number}: {inks}"
        assert max(inks["C"], inks["M"], inks["Y"]) < inks["K"] / 2, f"page {number}: text in black ink only: {inks}"


def test_the_clean_sample_passes_preflight(preflight_json, sample_build):
    assert preflight_json["passed"] is True
    assert preflight_json["errors"] == 0, [f for f in preflight_json["findings"] if f["severity"] == "error"]
    assert sample_build.preflight.passed


def test_full_bleed_photo_fills_its_page_into_the_bleed(project):
    from PIL import Image

    from publication.commands.build import BuildOptions, build
    from publication.core.units import PX_PER_MM
    from publication.preflight.pages import walk

    Image.new("RGB", (2600, 3600), (40, 90, 60)).save(project.content / "photos" / "cover.jpg", quality=85)
    Image.new("RGB", (2600, 3600), (90, 60, 40)).save(project.content / "photos" / "dorp.jpg", quality=85)
    project.edit("01-artikel.md", "Tweede alinea.", 'Tweede alinea.\n\n![Het dorp](photos/dorp.jpg)'
                 '{fig-alt="Een dorp" credit="Fotograaf" .full-bleed}\n\nDerde alinea.')
    result = build(project.root, BuildOptions(targets=("print",), force=True))
    (photo,) = [placed for placed in walk(result.renditions[0].document)
                if placed.element == "img" and "full-bleed" in placed.containers[-1].element.get("class")]
    box = photo.box
    assert [round(value / PX_PER_MM, 1) for value in (box.border_box_x(), box.border_box_y(), box.border_width(),
                                                       box.border_height())] == [-3.0, -3.0, 216.0, 303.0]
    assert not [f for f in result.preflight.findings if f.page == photo.page]
    assert photo.page == 3 and result.preflight.pages % 4 == 0


def test_manifest_records_the_preflight_verdict(sample_build):
    manifest = (sample_build.project.dist_dir / "MANIFEST.txt").read_text()
    entry = manifest.split(f"{sample_build.project.slug}-print.pdf\n", 1)[1].split("\n\n", 1)[0]
    assert "preflight  passed: 0 errors" in entry
    assert f"see {sample_build.project.slug}-preflight.html" in entry


def test_photos_are_converted_to_cmyk_once_and_kept_under_the_ink_limit(tmp_path):
    import numpy
    from PIL import Image

    from publication.core.builtin import BUILTIN_ASSETS
    from publication.render.images import ImageRequest, prepare

    profile = BUILTIN_ASSETS / "icc" / "coated_fogra39_argyll.icc"
    source = tmp_path / "night.jpg"
    Image.new("RGB", (600, 400), (4, 4, 6)).save(source, quality=95)  # near-black: the profile's maximum ink
    request = ImageRequest(source, "content/night.md", 3, 40.0)
    cache = tmp_path / "cache"

    first, problems = prepare(request, cache, 300, profile, max_ink=300)
    assert problems == []
    with Image.open(first.output) as converted:
        assert converted.mode == "CMYK"
        ink = numpy.asarray(converted, dtype=numpy.int32).sum(axis=2) * 100 / 255
    assert 280 <= ink.max() <= 302  # JPEG rounding of a 300% limit
    modified = first.output.stat().st_mtime_ns

    again, _ = prepare(request, cache, 300, profile, max_ink=300)
    assert again.output == first.output and again.output.stat().st_mtime_ns == modified
    other, _ = prepare(request, cache, 300, profile, max_ink=260)
    assert other.output != first.output
