"""What is the same from one build to the next is kept in the project's .cache/, named by the digest of what
it was made from, and what comes out of the cache is what would have been made afresh (issue 17: the
standard build's overhead). Fonts with the break hyphen (.cache/fonts/), the style check's parse of each
stylesheet (.cache/styles/) and Jinja2's compiled layouts (.cache/jinja/)."""

from __future__ import annotations

import io

import pytest
from conftest import REPO
from fontTools.ttLib import TTFont

from publication.render import fonts, stylecheck
from publication.render.html import environment
from publication.render.stylecheck import check_stylesheets

FONT = REPO / "assets" / "fonts" / "source-sans-pro" / "SourceSansPro-Regular.ttf"  # has no U+2010


def _made_afresh(*_args, **_kwargs):
    raise AssertionError("made again although the cache holds it")


def test_a_patched_font_is_kept_by_digest_and_read_back_as_made(tmp_path, monkeypatch):
    data = FONT.read_bytes()
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})
    fresh = fonts.with_break_hyphen(data)
    assert 0x2010 not in TTFont(FONT).getBestCmap() and 0x2010 in TTFont(io.BytesIO(fresh)).getBestCmap()

    cache = tmp_path / ".cache" / "fonts"
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})  # a new process
    assert fonts.with_break_hyphen(data, cache) == fresh
    kept = list(cache.iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == fresh
    assert 0x2010 in TTFont(kept[0]).getBestCmap()

    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})  # the next build: read, not patched again
    monkeypatch.setattr(fonts, "_patched", _made_afresh)
    assert fonts.with_break_hyphen(data, cache) == fresh

    # A font that needs no patch (it has the hyphen now) is kept as an empty file: itself, unchanged.
    monkeypatch.setattr(fonts, "_patched", lambda font: font)
    assert fonts.with_break_hyphen(fresh, cache) is fresh
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})
    monkeypatch.setattr(fonts, "_patched", _made_afresh)
    assert fonts.with_break_hyphen(fresh, cache) == fresh
    assert sorted(len(path.read_bytes()) for path in cache.iterdir()) == [0, len(fresh)]

    # Each font its own entry: the bold, patched and read back, is the bold.
    bold = FONT.with_name("SourceSansPro-Bold.ttf").read_bytes()
    monkeypatch.undo()
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})
    bold_fresh = fonts.with_break_hyphen(bold)
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})
    assert fonts.with_break_hyphen(bold, cache) == bold_fresh != fresh
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})
    monkeypatch.setattr(fonts, "_patched", _made_afresh)
    assert fonts.with_break_hyphen(bold, cache) == bold_fresh
    assert fonts.with_break_hyphen(data, cache) == fresh


def test_a_font_cache_that_cannot_be_written_costs_only_the_patching(tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setattr(fonts, "_WITH_BREAK_HYPHEN", {})
    patched = fonts.with_break_hyphen(FONT.read_bytes(), tmp_path / "not-a-folder" / "fonts")
    assert 0x2010 in TTFont(io.BytesIO(patched)).getBestCmap()


SHEET = """\
@font-face { font-family: "House"; src: url("fonts/missing.ttf"); }
p { colour: red; }
h1 {
  font-weight: bolder-than-bold;
  background: url("pictures/missing.png");
}
"""


def _said(check) -> list[tuple[str, int | None, str]]:
    return sorted((issue.path, issue.line, issue.message) for issue in check.issues)


def test_the_style_check_read_from_its_cache_says_what_it_says_afresh(tmp_path, monkeypatch):
    sheet = tmp_path / "theme.css"
    sheet.write_text(SHEET, encoding="utf-8")
    fresh = check_stylesheets((sheet,), [tmp_path], [tmp_path])
    said = _said(fresh)
    assert [line for _, line, _ in said] == [1, 2, 4, 5], said  # the font, colour, font-weight, the picture

    cache = tmp_path / ".cache" / "styles"
    assert _said(check_stylesheets((sheet,), [tmp_path], [tmp_path], cache)) == said
    assert len(list(cache.glob("*.json"))) == 1

    monkeypatch.setattr(stylecheck, "_parse_warnings", _made_afresh)
    monkeypatch.setattr(stylecheck, "references", _made_afresh)
    from_cache = check_stylesheets((sheet,), [tmp_path], [tmp_path], cache)
    assert _said(from_cache) == said
    assert from_cache.reported == fresh.reported

    # The sheet corrected: its new text is parsed, not the old one's findings read back.
    monkeypatch.undo()
    sheet.write_text(SHEET.replace("colour", "color"), encoding="utf-8")
    corrected = _said(check_stylesheets((sheet,), [tmp_path], [tmp_path], cache))
    assert [line for _, line, _ in corrected] == [1, 4, 5], corrected


def test_a_sheet_that_imports_another_is_checked_afresh_every_time(tmp_path):
    (tmp_path / "other.css").write_text("p { colour: red; }\n", encoding="utf-8")
    sheet = tmp_path / "theme.css"
    sheet.write_text('@import "other.css";\nh1 { color: red; }\n', encoding="utf-8")
    cache = tmp_path / ".cache" / "styles"
    check_stylesheets((sheet,), [tmp_path], [tmp_path], cache)
    assert not cache.exists() or not list(cache.glob("*.json"))


@pytest.mark.parametrize("damage", [b"", b"garbage", b"j2\x00\x01truncated"])
def test_a_layout_renders_as_its_source_says_whatever_the_cache_holds(tmp_path, damage):
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    layout = layouts / "note.html.j2"
    layout.write_text("A {{ value }}", encoding="utf-8")
    assert environment(tmp_path).get_template("note.html.j2").render(value=1) == "A 1"
    kept = list((tmp_path / ".cache" / "jinja").iterdir())
    assert len(kept) == 1

    assert environment(tmp_path).get_template("note.html.j2").render(value=2) == "A 2"  # read back
    layout.write_text("B {{ value }}", encoding="utf-8")  # edited: compiled again, not the old one read
    assert environment(tmp_path).get_template("note.html.j2").render(value=3) == "B 3"
    for path in (tmp_path / ".cache" / "jinja").iterdir():
        path.write_bytes(damage)
    assert environment(tmp_path).get_template("note.html.j2").render(value=4) == "B 4"
