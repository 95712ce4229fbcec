"""`publication comments`: annotations as the common readers write them, on a real proof, read back
and tied to the Markdown line they concern."""

from __future__ import annotations

import json
import shutil

import pikepdf
import pypdfium2
import pytest
from click.testing import CliRunner
from conftest import copy_sample

from publication.cli import main
from publication.commands.build import BuildOptions, build
from publication.commands.comments import collect

ARTICLE = "content/02-sociaal-vernieuwen.md"


@pytest.fixture(scope="module")
def proof(tmp_path_factory):
    root = copy_sample(tmp_path_factory.mktemp("reviewed"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        result = build(root, BuildOptions(targets=("proof",)))
    return root, result.written[0]


def _unique_word(root) -> tuple[str, int]:
    """A long word that stands once in the article and nowhere else in the publication, and its line."""
    lines = (root / ARTICLE).read_text(encoding="utf-8").split("\n")
    everything = "\n".join(path.read_text(encoding="utf-8") for path in sorted((root / "content").glob("*.*")))
    for number, line in enumerate(lines, 1):
        for word in line.split():
            if word.isalpha() and len(word) >= 11 and everything.count(word) == 1:
                return word, number
    raise AssertionError("no unique word")


def _place_of(pdf_path, word: str) -> tuple[int, tuple[float, float, float, float]]:
    """The page (1-based) and box (left, bottom, right, top) of a word as printed."""
    document = pypdfium2.PdfDocument(pdf_path)
    for index in range(len(document)):
        textpage = document[index].get_textpage()
        searcher = textpage.search(word, match_case=True, match_whole_word=True)
        found = searcher.get_next()
        if found:
            start, count = found
            boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
            return index + 1, (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                               max(b[3] for b in boxes))
    raise AssertionError(f"{word} is not printed")


def _quad(box) -> list[float]:
    left, bottom, right, top = box
    return [left, top, right, top, left, bottom, right, bottom]


def _annotate(path, page: int, *annotations: dict) -> list[pikepdf.Object]:
    """Add annotations the way Acrobat writes them; returns them (indirect) for replies."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        made = []
        target = pdf.pages[page - 1]
        for fields in annotations:
            fields = dict(fields)
            parent = fields.pop("IRT_index", None)
            annotation = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, **fields))
            if parent is not None:
                annotation.IRT = made[parent]
            made.append(annotation)
            if "/Annots" not in target.obj:
                target.obj.Annots = pdf.make_indirect(pikepdf.Array())
            target.obj.Annots.append(annotation)
        pdf.save(path)
    return made


def _copy_to_annotate(proof, tmp_path):
    """A reviewer's copy of the proof, and the place of a word printed once: (root, copy, word, its
    Markdown line, its page, its box)."""
    root, original = proof
    annotated = tmp_path / original.name
    shutil.copy(original, annotated)
    word, line = _unique_word(root)
    page, box = _place_of(annotated, word)
    return root, annotated, word, line, page, box


def test_acrobat_shapes_map_to_the_markdown_line(proof, tmp_path):
    root, annotated, word, line, page, box = _copy_to_annotate(proof, tmp_path)
    left, bottom, right, top = box
    _annotate(annotated, page,
              {"Subtype": pikepdf.Name.Highlight, "Rect": [left, bottom, right, top], "QuadPoints": _quad(box),
               "Contents": pikepdf.String("Klopt dit woord?"), "T": pikepdf.String("Anna"),
               "M": pikepdf.String("D:20261130101500+01'00'")},
              {"Subtype": pikepdf.Name.Text, "Rect": [right + 2, bottom, right + 22, top + 10],
               "Contents": pikepdf.String("Eens, graag korter."), "T": pikepdf.String("Bob"), "IRT_index": 0,
               "M": pikepdf.String("D:20261130111500Z")},
              {"Subtype": pikepdf.Name.Text, "Rect": [right + 2, bottom, right + 22, top + 10],
               "State": pikepdf.String("Accepted"), "StateModel": pikepdf.String("Review"),
               "T": pikepdf.String("Anna"), "IRT_index": 0, "Contents": pikepdf.String("Accepted set by Anna")})
    result = CliRunner().invoke(main, ["comments", str(annotated), "--format", "json", "--project", str(root)])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    highlight = next(c for c in found if c["kind"] == "highlight")
    assert (highlight["file"], highlight["line"], highlight["page"]) == (ARTICLE, line, page)
    assert highlight["quoted"] == word and highlight["comment"] == "Klopt dit woord?"
    assert highlight["author"] == "Anna" and highlight["date"] == "2026-11-30T10:15:00+01:00"
    assert highlight["stale"] is False and highlight["replacement"] is None
    replies = [c for c in found if c["in_reply_to"] == highlight["id"]]
    assert {(c["author"], c["comment"], c["state"]) for c in replies} == {
        ("Bob", "Eens, graag korter.", None), ("Anna", "Accepted set by Anna", "Accepted")}
    assert all((c["file"], c["line"]) == (ARTICLE, line) for c in replies)
    assert set(highlight) >= {"file", "line", "page", "kind", "author", "date", "quoted", "comment", "replacement",
                              "stale"}


def test_replace_text_is_one_comment_with_the_proposed_words(proof, tmp_path):
    root, annotated, word, line, page, box = _copy_to_annotate(proof, tmp_path)
    left, bottom, right, top = box
    caret, _ = _annotate(
        annotated, page,
        {"Subtype": pikepdf.Name.Caret, "Rect": [right - 3, bottom - 2, right + 3, top],
         "Contents": pikepdf.String("vernieuwing"), "T": pikepdf.String("Carla")},
        {"Subtype": pikepdf.Name.StrikeOut, "Rect": [left, bottom, right, top], "QuadPoints": _quad(box),
         "T": pikepdf.String("Carla"), "RT": pikepdf.Name.Group, "IRT_index": 0})
    [comment] = collect([annotated], root)
    assert comment.kind == "replace" and comment.quoted == word and comment.replacement == "vernieuwing"
    assert (comment.file, comment.line) == (ARTICLE, line)


def test_two_reviewers_on_two_copies_are_merged_in_source_order(proof, tmp_path):
    root, original = proof
    first, second = tmp_path / "anna.pdf", tmp_path / "bob.pdf"
    shutil.copy(original, first)
    shutil.copy(original, second)
    word, line = _unique_word(root)
    page, box = _place_of(original, word)
    shared = {"Subtype": pikepdf.Name.Highlight, "Rect": list(box), "QuadPoints": _quad(box),
              "Contents": pikepdf.String("Eerder gezien"), "T": pikepdf.String("Redactie")}
    _annotate(first, page, shared, {"Subtype": pikepdf.Name.Text, "Rect": [40, 40, 60, 60], "T": pikepdf.String("Anna"),
                                    "Contents": pikepdf.String("Paginanummer klopt niet")})
    cover_word_page, cover_box = _place_of(original, "Colofon")
    _annotate(second, page, shared)
    _annotate(second, cover_word_page, {"Subtype": pikepdf.Name.Underline, "Rect": list(cover_box),
                                        "QuadPoints": _quad(cover_box), "T": pikepdf.String("Bob"),
                                        "Contents": pikepdf.String("Kop groter")})
    found = collect([first, second], root)
    assert [c.comment for c in found].count("Eerder gezien") == 1, "the same annotation in two copies counts once"
    assert {c.author for c in found} == {"Redactie", "Anna", "Bob"}
    keys = [(c.file is None, c.file or "", c.line or 0) for c in found]
    assert keys == sorted(keys)
    bob = next(c for c in found if c.author == "Bob")
    assert bob.file == "content/publication.yml" and bob.proof == "bob.pdf"


def test_a_comment_on_an_older_proof_after_the_source_changed(proof, tmp_path):
    root, annotated, word, line, page, box = _copy_to_annotate(proof, tmp_path)
    project = tmp_path / "project"
    shutil.copytree(root / "content", project / "content")
    _annotate(annotated, page, {"Subtype": pikepdf.Name.Highlight, "Rect": list(box), "QuadPoints": _quad(box),
                                "Contents": pikepdf.String("Dit woord?"), "T": pikepdf.String("Anna")})
    source = project / ARTICLE
    lines = source.read_text(encoding="utf-8").split("\n")

    # Two lines inserted above: the words are still there, two lines further down.
    lines[line - 2:line - 2] = ["Een nieuwe alinea.", ""]
    source.write_text("\n".join(lines), encoding="utf-8")
    [moved] = collect([annotated], project)
    assert (moved.line, moved.stale) == (line + 2, False)

    # The marked word rewritten: the comment is on text that is no longer there.
    source.write_text(source.read_text(encoding="utf-8").replace(word, "iets anders"), encoding="utf-8")
    [stale] = collect([annotated], project)
    assert stale.stale is True and stale.file == ARTICLE


def test_text_and_html_reports(proof, tmp_path):
    root, annotated, word, line, page, box = _copy_to_annotate(proof, tmp_path)
    _annotate(annotated, page, {"Subtype": pikepdf.Name.Highlight, "Rect": list(box), "QuadPoints": _quad(box),
                                "Contents": pikepdf.String("Klopt <dit>?"), "T": pikepdf.String("Anna")})
    text = CliRunner().invoke(main, ["comments", str(annotated), "--project", str(root)])
    assert text.exit_code == 0
    assert f"{ARTICLE}:{line}: page {page}, highlight (Anna): “{word}” — Klopt <dit>?" in text.stdout
    report = tmp_path / "comments.html"
    made = CliRunner().invoke(main, ["comments", str(annotated), "--format", "html", "-o", str(report)])
    assert made.exit_code == 0
    page_html = report.read_text(encoding="utf-8")
    assert "Klopt &lt;dit&gt;?" in page_html and "data:image/png;base64," in page_html


def test_the_preview_comments_are_listed_with_the_proofs_in_source_order(proof, tmp_path):
    """review/comments.yml (the live preview's comments) and an annotated proof, in one list."""
    from publication.commands.review import REVIEW_FILE, Place, add_comment

    root, annotated, word, line, page, box = _copy_to_annotate(proof, tmp_path)
    _annotate(annotated, page, {"Subtype": pikepdf.Name.Highlight, "Rect": list(box), "QuadPoints": _quad(box),
                                "Contents": pikepdf.String("Uit de PDF"), "T": pikepdf.String("Anna")})
    review = root / REVIEW_FILE
    try:
        add_comment(root, Place(page, 20.0, 30.0, ARTICLE, line + 1, None, ""), "Bob", "Uit de preview")
        add_comment(root, Place(1, 20.0, 30.0, "content/publication.yml", None, None, ""), "Bob", "De omslag")
        found = collect([annotated], root)
        assert [(c.comment, c.proof) for c in found] == [
            ("Uit de PDF", annotated.name), ("Uit de preview", REVIEW_FILE), ("De omslag", REVIEW_FILE)]
        assert found[1].author == "Bob" and found[1].position_mm == (20.0, 30.0)
    finally:
        shutil.rmtree(review.parent)
