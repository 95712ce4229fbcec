"""Proofs: built with the real pipeline, read back from the PDF's own text and outline."""

from __future__ import annotations

import json
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
from publication.editions.proof import LINE_MAP_KEY, PROOF
from publication.render.overlay import MARKS_KEY

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


def _stamp(path) -> str:
    """The stamp as the proof's document information records it (the marks themselves are outlines)."""
    with pikepdf.open(path) as pdf:
        return str(pdf.docinfo["/PublicationProof"])


def test_every_page_carries_watermark_and_stamp(proof_project):
    path = build_proof(proof_project.root)

    version = re.fullmatch(r"testbrochure-proof-([0-9a-f]{10})\.pdf", path.name).group(1)
    assert _stamp(path) == f"CONCEPT · versie {version} · gemaakt 14-11-2023, 22:13 UTC"
    pages = PdfReader(path).pages
    assert len(pages) >= 4
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            assert page.mediabox == page.trimbox and round(float(page.mediabox[2])) == 595, "trimmed A4, no bleed"
            drawn = b"".join(stream.read_bytes() for stream in page.obj.Contents)
            [name] = re.findall(rb"/(Marks\d+) Do", drawn)
            marks = page.Resources.XObject["/" + name.decode()]
            assert marks.get(MARKS_KEY) and marks.OC.Name == "Proof marks", f"page {number}: one layer of marks"
            outlines = re.findall(rb"^f\*?$", marks.read_bytes(), re.M)
            assert outlines, f"page {number}: the marks are drawn, as outlines"
    for number, page in enumerate(pages, 1):
        assert "CONCEPT" not in page.extract_text() and "versie" not in page.extract_text(), \
            f"page {number}: the marks are out of the text layer"


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


def _number_rows(path, page_index: int) -> tuple[list[int], list[tuple[float, float]]]:
    """Rows of the left margin (the 14 mm beside the text) where grey line numbers are drawn, at 150 dpi,
    and the vertical spans (top, bottom) of the page's text lines in the same pixels."""
    document = pdfium.PdfDocument(path)
    page = document[page_index]
    scale = 150 / 72
    picture = numpy.asarray(page.render(scale=scale).to_pil().convert("RGB"), dtype=numpy.int16)
    height = page.get_size()[1]
    textpage = page.get_textpage()
    boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())]
    text_left = min(box[0] for box in boxes if box[2] > box[0])
    band = picture[:, int((text_left - 40) * scale):int((text_left - 2) * scale)]
    grey = (numpy.abs(band[..., 0] - band[..., 2]) < 12) & (band.max(axis=2) < 200)
    rows = [int(row) for row in numpy.nonzero(grey.any(axis=1))[0]]
    spans = sorted({(round((height - box[3]) * scale), round((height - box[1]) * scale)) for box in boxes
                    if box[2] > box[0]})
    return rows, spans


def test_watermark_text_and_line_numbers_are_options(proof_project):
    numbered = build_proof(proof_project.root)
    numbered_rows, _ = _number_rows(numbered, 1)
    proof_project.edit("publication.yml", "articles:", "proof:\n  watermark: DRAFT\n  line_numbers: false\narticles:")

    plain = build_proof(proof_project.root)

    assert _stamp(plain).startswith("DRAFT · ") and _stamp(numbered).startswith("CONCEPT · ")
    assert len(numbered_rows) > 100, "line numbers in the margin"
    assert _number_rows(plain, 1)[0] == [], "no line numbers"


def test_line_numbers_stand_beside_the_lines_they_count(proof_project):
    path = build_proof(proof_project.root)
    rows, spans = _number_rows(path, 1)
    assert len(rows) > 100
    stray = [row for row in rows if not any(top - 3 <= row <= bottom + 3 for top, bottom in spans)]
    assert stray == [], "each number sits on a text line"


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
    assert f"versie {commit}-dirty-" in _stamp(dirty)


def test_each_article_source_is_named_in_the_margin_and_bookmarked(proof_project):
    path = build_proof(proof_project.root)

    with pikepdf.open(path) as pdf:
        line_map = json.loads(pdf.Root[LINE_MAP_KEY].read_bytes())
        sources = [{line["source"] for line in page["lines"]} for page in line_map["pages"]]
        assert sources[0] == {"content/publication.yml"}, "the cover comes from the settings, not an article"
        assert "content/01-artikel.md" in sources[1]
        with pdf.open_outline() as outline:
            bookmarks = next(item for item in outline.root if item.title == "Bronbestanden")
            [article] = bookmarks.children
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
