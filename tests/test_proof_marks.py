"""A proof's marks as a reviewer uses them: one number per line of a page, on every page with text,
never over the text, out of the text layer, and a watermark that shows on dark pages too."""

from __future__ import annotations

import numpy
import pikepdf
import pypdfium2
import pytest
from conftest import copy_sample

from publication.commands.build import BuildOptions, build
from publication.core.units import PT_PER_MM, PX_PER_PT
from publication.editions.proof import LINE_NUMBER_GAP, LINE_NUMBER_WIDTH, page_contents


def _built(root, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(root, BuildOptions(targets=("standard", "proof")))
    proof = next(path for path in result.written if "-proof-" in path.name)
    standard = next(path for path in result.written if path.name == f"{result.project.slug}.pdf")
    return result, proof, standard


@pytest.fixture(scope="module")
def sample_proof(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _built(copy_sample(tmp_path_factory.mktemp("proof-a4")), monkeypatch)


@pytest.fixture(scope="module")
def pocket_proof(tmp_path_factory):
    """The sample as the one-column A5 pocket edition, where numbers once stood over the line ends."""
    root = copy_sample(tmp_path_factory.mktemp("proof-a5"))
    config = root / "content" / "publication.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  size: A4\n", "  size: A5\n"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _built(root, monkeypatch)


def _text_boxes(pdf, index: int) -> list[tuple[float, float, float, float]]:
    """Every visible character's box on a page, in PDF points (left, bottom, right, top)."""
    page = pdf[index]
    textpage = page.get_textpage()
    found = []
    for char in range(textpage.count_chars()):
        left, bottom, right, top = textpage.get_charbox(char)
        if right > left and not textpage.get_text_range(char, 1).isspace():
            found.append((left, bottom, right, top))
    return found


@pytest.mark.parametrize("which", ["sample_proof", "pocket_proof"])
def test_line_numbers_are_one_sequence_per_page_on_every_page_with_text(which, request):
    result, _, standard = request.getfixturevalue(which)
    rendition = result.renditions[0]
    contents = page_contents(rendition, result.project.config_display_path)
    document = pypdfium2.PdfDocument(standard)
    for index, content in enumerate(contents):
        numbers = [line.number for line in content.lines]
        assert numbers == list(range(1, len(numbers) + 1)), f"page {index + 1}: one number per line, counted on"
        assert len({(line.x, line.baseline) for line in content.lines}) == len(numbers)
        has_text = bool(_text_boxes(document, index))
        body_text = [box for box in _text_boxes(document, index)
                     if rendition.geometry.margin_bottom * PT_PER_MM < box[1]
                     and box[3] < (rendition.geometry.page_height - rendition.geometry.margin_top) * PT_PER_MM]
        if body_text:
            assert numbers, f"page {index + 1} has text but no line numbers"
        if has_text:
            assert content.sources, f"page {index + 1} has text but names no source"
    # The cover and the colofon have lines and a source too: the settings file.
    assert contents[0].lines and str(contents[0].sources[0]) == "content/publication.yml"


@pytest.mark.parametrize("which", ["sample_proof", "pocket_proof"])
def test_line_numbers_never_stand_over_the_text(which, request):
    result, _, standard = request.getfixturevalue(which)
    contents = page_contents(result.renditions[0], result.project.config_display_path)
    document = pypdfium2.PdfDocument(standard)
    for index, content in enumerate(contents):
        height = document[index].get_size()[1]
        text = _text_boxes(document, index)
        for line in content.lines:
            left_px = line.x - (LINE_NUMBER_WIDTH + LINE_NUMBER_GAP) * PT_PER_MM * PX_PER_PT if line.before \
                else line.x + LINE_NUMBER_GAP * PT_PER_MM * PX_PER_PT
            left, right = left_px / PX_PER_PT, left_px / PX_PER_PT + LINE_NUMBER_WIDTH * PT_PER_MM
            baseline = height - line.baseline / PX_PER_PT
            overlapping = [box for box in text if box[0] < right and left < box[2]
                           and box[1] < baseline + 4 and baseline < box[3]]
            assert overlapping == [], f"page {index + 1}, line {line.number} is numbered over the text"
            assert left >= 0, f"page {index + 1}, line {line.number} is numbered off the page"


def test_the_proofs_text_layer_is_the_brochures(sample_proof):
    """Copy, search and screen readers find the brochure's words only: no line number, watermark or stamp."""
    _, proof, standard = sample_proof
    marked, plain = pypdfium2.PdfDocument(proof), pypdfium2.PdfDocument(standard)
    assert len(marked) == len(plain)
    for index in range(len(plain)):
        assert marked[index].get_textpage().get_text_range() == plain[index].get_textpage().get_text_range()
    with pikepdf.open(proof) as pdf:
        stamp = str(pdf.docinfo["/PublicationProof"])
    assert stamp.startswith("CONCEPT · versie ") and "gemaakt 14-11-2023, 22:13 UTC" in stamp


def _rendered(path, index: int) -> numpy.ndarray:
    document = pypdfium2.PdfDocument(path)
    return numpy.asarray(document[index].render(scale=50 / 72).to_pil().convert("RGB"), dtype=numpy.int16)


def test_the_watermark_shows_on_dark_areas_and_on_paper(sample_proof):
    _, proof, standard = sample_proof
    for index in (0, 1):  # the cover, largely dark blue and a photo; a page of text on paper
        before, after = _rendered(standard, index), _rendered(proof, index)
        # What an eye sees: a change in lightness (Rec. 709 luma), not a shift of hue it can hardly tell.
        luma = numpy.array([0.2126, 0.7152, 0.0722])
        changed = numpy.abs((after - before) @ luma) > 6
        dark = before @ luma < 110
        light = before @ luma > 235
        share_dark = changed[dark].mean() if dark.any() else None
        share_light = changed[light].mean()
        assert share_light > 0.02, f"page {index + 1}: the watermark hardly shows on paper"
        if share_dark is not None and dark.mean() > 0.2:
            assert share_dark > 0.02, f"page {index + 1}: the watermark hardly shows on the dark areas"
