"""Proofs: built with the real pipeline, read back from the PDF's own text and outline."""

from __future__ import annotations

import re
import subprocess

import numpy
import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import copy_sample
from helpers import run_cli
from PIL import Image
from pypdf import PdfReader

from publication.commands.build import BuildOptions, build
from publication.commands.diff import compare
from publication.editions.proof import PROOF

ARTICLE = "---\ntitle: Een artikel\n---\n\n" + "\n\n".join(
    f"Alinea {n} vertelt over samenwerking in de regio en wat bestuurders daarvan leren. " * 6 for n in range(1, 16))

EPOCH = 1_700_000_000  # 14-11-2023 22:13 UTC


def build_proof(root):
    return build(root, BuildOptions(targets=(PROOF.name,))).written[0]


@pytest.fixture
def proof_project(project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    project.write("01-artikel.md", ARTICLE)
    return project


def test_every_page_carries_watermark_and_stamp(proof_project):
    path = build_proof(proof_project.root)

    version = re.fullmatch(r"testbrochure-proof-([0-9a-f]{10})\.pdf", path.name).group(1)
    pages = PdfReader(path).pages
    assert len(pages) >= 4
    for number, page in enumerate(pages, 1):
        assert page.mediabox == page.trimbox and round(page.mediabox.width) == 595, "trimmed A4, no bleed"
        text = page.extract_text()
        assert text.count("CONCEPT") >= 2, f"page {number}: watermark and stamp"
        assert f"versie {version}" in text
        assert "gemaakt 14-11-2023 22:13 UTC" in text
        assert f"pagina {number} van {len(pages)}" in text


RENDER_DPI = 72
STAMP_BAND_MM = 15  # the stamp stands 5.5 mm from the top edge, above every layout's text


def red_marks(picture: Image.Image) -> tuple[int, int]:
    """(strong red pixels in the band at the top of the page, faint reddish ones below it): the stamp's
    'CONCEPT' (#b01e28) and the watermark, red at 9 % over the paper."""
    pixels = numpy.asarray(picture.convert("RGB"), dtype=numpy.int32)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    band = round(STAMP_BAND_MM / 25.4 * RENDER_DPI)
    strong = (red > 120) & (red - green > 60) & (red - blue > 60)
    faint = (red > 200) & (red - green > 8) & (red - blue > 8) & (red - green < 40)
    return int(strong[:band].sum()), int(faint[band:].sum())


def drawn_by_pdfium(path) -> list[Image.Image]:
    document = pdfium.PdfDocument(path)
    try:
        return [page.render(scale=RENDER_DPI / 72).to_pil() for page in document]
    finally:
        document.close()


def drawn_by_poppler(path, folder) -> list[Image.Image]:
    subprocess.run(["pdftoppm", "-r", str(RENDER_DPI), "-png", str(path), str(folder / path.stem)], check=True)
    pictures = []
    for picture in sorted(folder.glob(f"{path.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        with Image.open(picture) as drawn:
            pictures.append(drawn.convert("RGB"))
    return pictures


def test_pdfium_and_poppler_draw_the_stamp_and_the_watermark(proof_project, tmp_path):
    """The marks are a layer that viewers show unless asked not to: drawn, the proof is redder than
    the brochure it marks, on every page (the stamp) and over the text (the watermark)."""
    result = build(proof_project.root, BuildOptions(targets=("standard", PROOF.name)))
    brochure = proof_project.root / "dist" / "testbrochure.pdf"
    proof = next(path for path in result.written if "-proof-" in path.name)
    missing = []
    for renderer, draw in (("pdfium", drawn_by_pdfium), ("poppler", lambda path: drawn_by_poppler(path, tmp_path))):
        plain, marked = draw(brochure), draw(proof)
        assert len(marked) == len(plain) >= 4
        for number, (without, drawn) in enumerate(zip(plain, marked), 1):
            (stamp, watermark), (stamp_before, watermark_before) = red_marks(drawn), red_marks(without)
            if stamp < stamp_before + 30:
                missing.append(f"{renderer}, page {number}: no stamp ({stamp} red pixels, {stamp_before} without)")
            # Over the cover photo the faint watermark is not reddish; over paper it covers 2 to 6 % of the page.
            if number > 1 and watermark < watermark_before + 0.01 * drawn.width * drawn.height:
                missing.append(f"{renderer}, page {number}: no watermark ({watermark} reddish pixels, "
                               f"{watermark_before} without)")
    assert not missing, "\n".join(missing)


def test_watermark_text_and_line_numbers_are_options(proof_project):
    numbered = build_proof(proof_project.root)
    numbered_text = PdfReader(numbered).pages[1].extract_text()
    proof_project.edit("publication.yml", "articles:", "proof:\n  watermark: DRAFT\n  line_numbers: false\narticles:")

    plain = build_proof(proof_project.root)

    text = PdfReader(plain).pages[1].extract_text()
    assert "DRAFT" in text and "CONCEPT" not in text
    numbers = lambda t: [line for line in t.splitlines() if line.strip().isdigit()]  # noqa: E731
    assert [str(n) for n in range(1, 21)] == numbers(numbered_text)[:20]
    assert numbers(text) == []


def test_line_numbers_stand_beside_the_lines_they_count(proof_project):
    path = build_proof(proof_project.root)
    page = pdfium.PdfDocument(path)[1]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    boxes = [textpage.get_charbox(i) for i in range(len(text))]
    # Lines of body text begin with "Alinea" or a lower-case word; numbers are the digit runs in the margin.
    body_bottoms = sorted({round(box[1]) for char, box in zip(text, boxes) if char.isalpha() and 80 < box[0] < 500})
    number_boxes = [box for i, (char, box) in enumerate(zip(text, boxes))
                    if char.isdigit() and (box[0] < 60 or box[0] > 540)]
    assert len(number_boxes) >= 20
    for box in number_boxes:
        assert min(abs(box[1] - bottom) for bottom in body_bottoms) < 3, "each number sits on a text line"


def test_version_changes_with_the_content_and_not_with_the_clock(proof_project, monkeypatch):
    first = build_proof(proof_project.root)
    first_bytes = first.read_bytes()
    assert build_proof(proof_project.root).read_bytes() == first_bytes, "a pinned clock gives the same bytes"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    assert build_proof(proof_project.root).name == first.name
    first = first.name

    proof_project.edit("01-artikel.md", "Alinea 3", "Paragraaf 3")

    assert build_proof(proof_project.root).name != first


def test_version_is_the_git_commit_and_its_dirty_state(proof_project):
    def git(*args):
        subprocess.run(["git", "-C", str(proof_project.root), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", "content")
    git("-c", "user.name=Test", "-c", "user.email=test@example.org", "commit", "-qm", "content")
    commit = subprocess.run(["git", "-C", str(proof_project.root), "rev-parse", "--short=10", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()

    assert build_proof(proof_project.root).name == f"testbrochure-proof-{commit}.pdf"
    proof_project.edit("01-artikel.md", "Alinea 3", "Paragraaf 3")
    dirty = build_proof(proof_project.root)
    assert re.fullmatch(rf"testbrochure-proof-{commit}-dirty-[0-9a-f]{{6}}\.pdf", dirty.name)
    assert f"versie {commit}-dirty-" in PdfReader(dirty).pages[0].extract_text()


def test_each_article_source_is_named_in_the_margin_and_bookmarked(proof_project):
    path = build_proof(proof_project.root)

    pages = PdfReader(path).pages
    assert "content/01-artikel.md:" not in pages[0].extract_text()  # the cover has no article
    assert re.search(r"content/01-artikel\.md:\d+", pages[1].extract_text())
    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        sources = next(item for item in outline.root if item.title == "Bronbestanden")
        [article] = sources.children
        assert article.title == "content/01-artikel.md"
        assert pdf.pages.index(pikepdf.Page(article.destination[0])) == 1


def test_proof_is_not_built_by_default(project):
    result = build(project.root)
    assert not any("-proof-" in path.name for path in result.written)


def test_the_command_line_builds_the_proof_with_the_other_editions_from_one_layout(project):
    result = run_cli("build", project.root, "--target", "print", "--target", "standard", "--target", "proof")
    assert result.returncode == 0, result.stderr + result.stdout
    proofs = list((project.root / "dist").glob("testbrochure-proof-*.pdf"))
    assert len(proofs) == 1 and (project.root / "dist" / "testbrochure-print.pdf").is_file()
    with pikepdf.open(proofs[0]) as proof:
        assert [round(float(v), 2) for v in proof.pages[0].mediabox] == [0, 0, 595.28, 841.89]  # trimmed, no bleed


def test_sample_proof_is_light_and_is_the_brochure_underneath(tmp_path):
    # Its own copy of the sample: the session's sample build and its manifest stay as they were.
    root = copy_sample(tmp_path)
    result = build(root, BuildOptions(targets=("standard", PROOF.name)))
    assert len(result.renditions) == 1, "the proof shares the standard brochure's layout"
    brochure = root / "dist" / f"{result.project.slug}.pdf"
    proof = next(path for path in result.written if "-proof-" in path.name)

    assert proof.stat().st_size <= 5 * 1024 * 1024
    # Without its marks layer the proof is exactly the designed brochure.
    assert compare(brochure.read_bytes(), proof.read_bytes()).no_changes
