"""The diff: real proofs built from a long article, changed in one place, compared page by page."""

from __future__ import annotations

import io
import random
import re

import pikepdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from conftest import ProjectFactory

from publication.cli import main
from publication.commands.build import BuildOptions, build
from publication.commands.diff import Comparison, Deletion, PageReport, Punctuation, Word, changes_pdf, compare
from publication.editions.proof import PROOF

SYLLABLES = ("ver", "an", "de", "ring", "sa", "men", "wer", "king", "be", "stuur", "ge", "meen", "te", "re",
             "gio", "zorg", "wijk", "bur", "ger", "plan", "raad", "huis", "dorp", "stad", "kracht", "sterk")


def long_article(paragraphs: int = 48, seed: int = 7) -> str:
    """An article of made-up words: almost every word occurs once, so each edit lands where it is meant."""
    chance = random.Random(seed)
    body = []
    for _ in range(paragraphs):
        words = ["".join(chance.choice(SYLLABLES) for _ in range(chance.randint(1, 3))) for _ in range(70)]
        sentences = [" ".join(words[i:i + 10]).capitalize() + "." for i in range(0, 70, 10)]
        body.append(" ".join(sentences))
    return "---\ntitle: Een lang artikel\n---\n\n" + "\n\n".join(body) + "\n"


def page_words(pdf: bytes, page_number: int) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    textpage = document[page_number - 1].get_textpage()
    return textpage.get_text_range().replace("\u2010\r\n", "").split()


def build_proof(factory: ProjectFactory) -> bytes:
    result = build(factory.root, BuildOptions(targets=(PROOF.name,)))
    return result.written[0].read_bytes()


def unique_word_on(pdf: bytes, page_number: int, source: str) -> str:
    """A long word from the middle of the page that occurs once in the source, whole on the page."""
    words = page_words(pdf, page_number)
    middle = words[len(words) // 3: 2 * len(words) // 3]
    for word in middle:
        if re.fullmatch(r"[a-z]{9,}", word) and len(re.findall(rf"\b{word}\b", source)) == 1:
            return word
    raise AssertionError(f"no unique word in the middle of page {page_number}")


@pytest.fixture(scope="module")
def long_project(tmp_path_factory):
    factory = ProjectFactory(tmp_path_factory.mktemp("diff") / "project")
    factory.write("01-artikel.md", long_article())
    return factory


@pytest.fixture(scope="module")
def base_proof(long_project) -> bytes:
    pdf = build_proof(long_project)
    assert len(pikepdf.open(io.BytesIO(pdf)).pages) >= 8, "the article must reach well past page 5"
    return pdf


def rebuilt_with(factory: ProjectFactory, old: str, new: str) -> bytes:
    factory.edit("01-artikel.md", old, new)
    try:
        return build_proof(factory)
    finally:
        factory.edit("01-artikel.md", new, old)


def test_one_word_changed_on_page_5_is_reported_on_page_5_only(long_project, base_proof):
    source = (long_project.content / "01-artikel.md").read_text()
    word = unique_word_on(base_proof, 5, source)
    changed = word[::-1]  # the same letters: the same width, so no line moves to another page

    comparison = compare(base_proof, rebuilt_with(long_project, word, changed))

    assert comparison.numbers("changed") == [5]
    assert comparison.numbers("reflow") == []
    page = comparison.pages[4]
    assert [w.text for w in page.inserted] == [changed]
    assert [d.words for d in page.deleted] == [(word,)]
    assert comparison.summary().startswith("page 5 changed;")


def test_sentence_inserted_on_page_3_is_reported_there_and_later_pages_as_reflow(long_project, base_proof):
    source = (long_project.content / "01-artikel.md").read_text()
    word = unique_word_on(base_proof, 3, source)
    sentence = "Hier staat een nieuwe zin van precies twaalf woorden die alles verder duwt."

    comparison = compare(base_proof, rebuilt_with(long_project, word, f"{sentence} {word}"))

    assert comparison.numbers("changed") == [3]
    assert " ".join(w.text for w in comparison.pages[2].inserted) == sentence
    assert comparison.pages[2].deleted == ()
    last_article_page = max(n for n in range(2, len(comparison.pages) + 1)
                            if "colofon" not in " ".join(page_words(base_proof, n)).lower())
    reflowed = comparison.numbers("reflow")
    assert reflowed and reflowed[0] == 4
    assert reflowed == list(range(4, reflowed[-1] + 1))
    assert reflowed[-1] >= min(last_article_page, 6)
    # The pages after the article (colofon, back cover) hold the same words as before.
    assert comparison.numbers("unchanged")[-1] == len(comparison.pages)


def test_identical_builds_have_no_changes(long_project, base_proof, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2000000000")  # another clock: the stamp differs, the brochure not
    again = build_proof(long_project)
    assert again != base_proof, "the stamp's clock differs"

    comparison = compare(base_proof, again)

    assert comparison.no_changes
    assert comparison.summary().startswith("no changes")


def test_diff_command_writes_only_the_changed_pages_with_a_cover(long_project, base_proof, tmp_path):
    source = (long_project.content / "01-artikel.md").read_text()
    word = unique_word_on(base_proof, 5, source)
    old, new = tmp_path / "old.pdf", tmp_path / "new.pdf"
    old.write_bytes(base_proof)
    new.write_bytes(rebuilt_with(long_project, word, word[::-1]))

    result = CliRunner().invoke(main, ["diff", str(old), str(new)])

    assert result.exit_code == 0, result.output
    assert "page 5 changed" in result.output.lower()  # the terminal speaks the tool's English ...
    changes = tmp_path / "new-changes.pdf"
    cover, page = pdfium.PdfDocument(changes.read_bytes())
    # ... the changes PDF the language of the publication, which the new PDF declares (/Lang nl)
    assert "pagina 5 gewijzigd" in cover.get_textpage().get_text_range().lower()
    assert word[::-1] in page.get_textpage().get_text_range().replace("\u2010\r\n", "")
    with pikepdf.open(changes) as pdf:  # the new proof page itself, its marks and all
        assert "Proof marks" in [str(group.Name) for group in pdf.Root.OCProperties.OCGs]


def test_proof_since_compares_with_the_last_proof_in_dist(long_project, base_proof):
    source = (long_project.content / "01-artikel.md").read_text()
    word = unique_word_on(base_proof, 5, source)
    dist = long_project.root / "dist"
    for old in dist.glob("*changes*"):
        old.unlink()
    build_proof(long_project)  # other tests leave proofs of edited versions behind; this one is now the last
    long_project.edit("01-artikel.md", word, word[::-1])
    try:
        result = CliRunner().invoke(main, ["proof", str(long_project.root), "--since"])
        again = CliRunner().invoke(main, ["proof", str(long_project.root), "--since"])
    finally:
        long_project.edit("01-artikel.md", word[::-1], word)

    assert result.exit_code == 0, result.output
    assert "Page 5 changed" in result.output
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    assert len(list(dist.glob("*-changes-*-to-*.pdf"))) == 1, "the second run had nothing to write"


def test_diff_of_a_file_that_is_not_a_pdf_names_it(tmp_path):
    bad = tmp_path / "notes.pdf"
    bad.write_text("not a pdf")
    result = CliRunner().invoke(main, ["diff", str(bad), str(bad)])
    assert result.exit_code == 1
    assert "notes.pdf" in result.output and "not a PDF" in result.output
    assert "Traceback" not in result.output


def test_a_replaced_photo_is_a_visual_change_boxed_where_the_photo_stands(project):
    from PIL import Image

    before = build_proof(project)
    Image.new("RGB", (1200, 800), (200, 60, 40)).save(project.content / "photos" / "foto.jpg", quality=85)

    comparison = compare(before, build_proof(project))

    assert comparison.numbers("changed") == [2]
    page = comparison.pages[1]
    assert page.inserted == () and page.deleted == ()
    [region] = page.regions
    # The region is the photo: wide and tall, inside the page, below the article title.
    x0, top, x1, bottom = region
    assert x1 - x0 > 100 and bottom - top > 60
    assert 0 <= x0 < x1 <= 596 and 100 < top < bottom < 842


def test_removed_paragraphs_are_reported_where_they_were_and_the_shorter_tail_as_reflow(long_project, base_proof):
    path = long_project.content / "01-artikel.md"
    original = path.read_text()
    paragraphs = original.split("\n\n")
    path.write_text("\n\n".join(paragraphs[:10] + paragraphs[22:]))
    try:
        shorter = build_proof(long_project)
    finally:
        path.write_text(original)

    comparison = compare(base_proof, shorter)

    assert comparison.new_pages < comparison.old_pages
    [changed] = comparison.numbers("changed")
    removed = [word for deletion in comparison.pages[changed - 1].deleted for word in deletion.words]
    assert " ".join(removed) == " ".join(" ".join(paragraphs[10:22]).split())
    # Every later page of the article reflowed; the pages before it, the colofon and the back cover did not change.
    reflow = list(range(changed + 1, comparison.new_pages - 1))
    assert len(reflow) >= 2, "the article must run on for pages after the removal"
    assert comparison.numbers("reflow") == reflow
    assert comparison.numbers("unchanged") == [*range(1, changed), comparison.new_pages - 1, comparison.new_pages]
    assert "fewer than before" in comparison.summary()


def _glyph_boxes(pdf: bytes, page_number: int) -> list[tuple[float, float, float, float]]:
    """Every printed character's box on a page: (left, bottom, right, top) in points."""
    textpage = pdfium.PdfDocument(pdf)[page_number - 1].get_textpage()
    return [textpage.get_charbox(i) for i in range(textpage.count_chars())
            if not (textpage.get_text_range(i, 1) or " ").isspace()]


def _text_box(pdf: bytes, page_number: int, words: str) -> tuple[float, float, float, float]:
    textpage = pdfium.PdfDocument(pdf)[page_number - 1].get_textpage()
    found = textpage.search(words, match_case=True).get_next()
    assert found, f"{words!r} is not on page {page_number}"
    boxes = [textpage.get_charbox(i) for i in range(found[0], found[0] + found[1])]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_tag_of_removed_words_covers_no_text_and_stands_level_with_its_line(long_project, base_proof):
    from publication.commands.diff import changes_pdf

    source = (long_project.content / "01-artikel.md").read_text()
    word = unique_word_on(base_proof, 5, source)
    path = long_project.content / "01-artikel.md"
    path.write_text(source.replace(f" {word}", "", 1), encoding="utf-8")
    try:
        new = build_proof(long_project)
    finally:
        path.write_text(source, encoding="utf-8")
    comparison = compare(base_proof, new)
    assert 5 in comparison.numbers("changed")
    [deletion] = comparison.pages[4].deleted
    assert deletion.words == (word,)

    changes = changes_pdf(comparison, new)
    position = [report.number for report in comparison.shown].index(5) + 2  # after the cover
    tag = _text_box(changes, position, f"− {word}")
    padding = 1.2 * 72 / 25.4  # the tag's own padding around its letters, and then some
    tag = (tag[0] - padding, tag[1] - padding, tag[2] + padding, tag[3] + padding)
    glyphs = _glyph_boxes(new, 5)
    assert len(glyphs) > 500
    assert not [glyph for glyph in glyphs if _overlap(tag, glyph)], "the tag covers text of the page"
    height = pdfium.PdfDocument(new)[4].get_size()[1]
    line_top = height - deletion.at[1]  # the removal's line, in PDF points from the bottom
    assert abs(tag[3] - padding - line_top) < 12, "the tag stands level with the line of the removal"


def test_a_comma_added_is_reported_as_punctuation_not_as_a_word_removed(long_project, base_proof):
    source = (long_project.content / "01-artikel.md").read_text()
    word = unique_word_on(base_proof, 5, source)

    comparison = compare(base_proof, rebuilt_with(long_project, f"{word} ", f"{word}, "))

    page = comparison.pages[4]
    assert comparison.numbers("changed") == [5]
    assert page.deleted == () and page.inserted == ()
    assert [(change.old, change.new.text) for change in page.punctuation] == [(word, f"{word},")]
    assert f"punctuation “{word}” → “{word},”" in page.describe


ENGLISH_DIFF_WORDS = ("page", "pages", "changed", "reflowed", "unchanged", "changes", "inserted", "removed",
                      "punctuation", "words", "before", "old", "new", "area", "areas", "same", "following", "version")
DUTCH_DIFF_WORDS = ("pagina", "pagina’s", "gewijzigd", "verschoven", "ongewijzigd", "wijzigingen", "ingevoegd",
                    "verwijderd", "leestekens", "woorden", "eerst", "oud", "oude", "nieuw", "nieuwe", "gebied",
                    "volgende", "versie")


def every_kind_of_change(pages: int) -> Comparison:
    """A comparison with each thing the changes PDF can say, over the pages of a real proof: words inserted
    and removed, punctuation, a changed area, a reflowed page, a new page, an old page removed, a page more."""
    box = (60.0, 200.0, 120.0, 212.0)
    changed = PageReport(2, 2, "changed", inserted=(Word("ringsa", 1, (box,)),), deleted=(Deletion(("dorp",), box),),
                         regions=(box, (60.0, 400.0, 200.0, 500.0)),
                         punctuation=(Punctuation("wijk", Word("wijk,", 1, (box,))),))
    reports = [PageReport(1, 1, "unchanged"), changed, PageReport(3, 2, "reflow"), PageReport(4, None, "changed",
                                                                                           regions=(box,))]
    reports += [PageReport(n, n - 1, "unchanged") for n in range(5, pages + 1)]
    return Comparison("v1.pdf", "v2.pdf", pages - 1, pages, tuple(reports), removed=(7,))


def words_of(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    return re.findall(r"[\w’]+", text.lower())


@pytest.mark.parametrize("language, foreign, expected", [
    ("nl", ENGLISH_DIFF_WORDS, ["wijzigingen", "pagina 2 gewijzigd", "pagina 3 verschoven", "1 pagina meer dan eerst",
                                "oude pagina 7 verwijderd", "2 gewijzigde gebieden", "was pagina 2"]),
    ("de", ENGLISH_DIFF_WORDS, ["änderungen", "seite 2 geändert", "seite 3 neu umbrochen", "1 seite mehr als vorher",
                                "alte seite 7 entfernt", "2 geänderte bereiche", "vorher seite 2"]),
    ("en", DUTCH_DIFF_WORDS, ["changes", "page 2 changed", "page 3 reflowed", "1 page more than before",
                              "old page 7 removed", "2 changed areas", "was page 2"]),
])
def test_the_changes_pdf_speaks_the_publications_language(base_proof, language, foreign, expected):
    pages = len(pikepdf.open(io.BytesIO(base_proof)).pages)
    pdf = changes_pdf(every_kind_of_change(pages), base_proof, language)
    words = words_of(pdf)
    # The proof's own pages are of made-up Dutch syllables, with no word of either list.
    assert sorted({word for word in words if word in foreign}) == []
    joined = " ".join(words)
    assert [phrase for phrase in expected if " ".join(re.findall(r"[\w’]+", phrase)) not in joined] == []
    with pikepdf.open(io.BytesIO(pdf)) as document:  # the layer of the marks is named in the language too
        assert {"nl": "Wijzigingen", "de": "Änderungen", "en": "Changes"}[language] in [
            str(group.Name) for group in document.Root.OCProperties.OCGs]
