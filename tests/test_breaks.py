"""Where words break (issue 13): table header words are hyphenated or kept whole, never cut; web and
e-mail addresses are never hyphenated and break after '/', '.' or '@'; a long word in a heading is
hyphenated in the publication's language; every heading level has room above it; a table in
'::: {.full-width}' runs across both columns. Read from the PDF's text and from the laid-out boxes."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import ProjectFactory
from pypdf import PdfReader

from publication.commands.build import BuildOptions, build
from publication.core.units import PX_PER_MM
from publication.render.weasy import boxes, page_box

ADDRESS = "https://www.buurtvereniging-voorbeeld.example.org/verslagen/2026/regentuinen-en-groene-daken"
EMAIL = "secretariaat.ledenadministratie@buurtvereniging-voorbeeld.example.org"
HEADING = "Arbeidsmarktparticipatieprogrammaverantwoordelijken"
HEADER_WORDS = ("Deelnemers", "Vrijwilligers", "Buurtorganisaties", "Samenwerkingsverbanden", "Wijkbewoners",
                "Ondersteuning", "Strengths", "Schrijfster")

ARTICLE = f"""---
title: Een artikel
---

Eerste alinea van het artikel, met een adres: {ADDRESS} en een e-mailadres {EMAIL} in de lopende tekst.

| {" | ".join(HEADER_WORDS)} |
|{"---|" * len(HEADER_WORDS)}
| {" | ".join(str(n) for n in range(len(HEADER_WORDS)))} |

## {HEADING}

Tweede alinea met wat tekst die doorloopt. {"Een zin met woorden die de kolom vullen. " * 6}

### Een kop op het derde niveau

Derde alinea. {"Nog een zin met woorden. " * 5}

::: {{.full-width}}
| Project | Mensen | Uren | Kosten | Resultaat |
|---|---:|---:|---:|---|
| Regentuinen | 12 | 340 | 1200 | vier tuinen |
:::

Laatste alinea.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = ProjectFactory(tmp_path_factory.mktemp("breaks") / "project")
    project.write("01-artikel.md", ARTICLE)
    (project.content / "photos" / "foto.jpg").unlink()
    result = build(project.root, BuildOptions(targets=("standard", "print", "screen")))
    return project, result


def pdf_text(project, edition: str = "") -> str:
    pdf = project.root / "dist" / f"testbrochure{edition}.pdf"
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def poppler_text(project, edition: str = "") -> str:
    pdf = project.root / "dist" / f"testbrochure{edition}.pdf"
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def lines_of(document, tag: str, text: str | None = None) -> list[str]:
    """The text of each line of the first element `tag` (whose text holds `text`), as laid out."""
    for page in document.pages:
        for box in page_box(page).descendants():
            if getattr(box, "element_tag", "") == tag and isinstance(box, boxes.BlockContainerBox):
                lines = ["".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox))
                         for line in box.descendants() if isinstance(line, boxes.LineBox)]
                if text is None or text in "".join(lines).replace("\u2010", ""):
                    return lines
    return []


def test_the_build_has_no_error_and_no_overset(built):
    project, _ = built
    report = json.loads((project.root / "dist" / "testbrochure-preflight.json").read_text())
    assert report["errors"] == 0, report["findings"]


def test_addresses_are_never_hyphenated_and_break_after_a_slash_or_dot(built):
    project, _ = built
    text = pdf_text(project)
    for address in (ADDRESS, EMAIL):
        # The address broke over lines (the test means something) ...
        pattern = r"\s*".join(re.escape(char) for char in address)
        found = re.search(pattern.replace(r"\s*", r"[\s\u200b]*"), text)
        assert found and "\n" in found.group(), (address, text[:600])
        # ... and only after '/', '.' or '@', with no hyphen added.
        for piece in found.group().split("\n")[:-1]:
            assert piece.rstrip("\u200b ")[-1] in "/.@", piece


def test_an_address_copies_from_the_standard_and_screen_pdfs_without_its_break_points(built):
    """The zero-width spaces that let an address break (content/markdown.breakable_address) are not in
    the text layer: copied, or read by pypdf, poppler or a screen reader, the address is the address,
    broken only by line ends, and after '/', '.' or '@'."""
    project, _ = built
    for edition in ("", "-screen"):
        for text in (pdf_text(project, edition), poppler_text(project, edition)):
            assert "\u200b" not in text
            for address in (ADDRESS, EMAIL):
                found = re.search(r"\s*".join(re.escape(char) for char in address), text)
                assert found and "\n" in found.group(), (edition, address)
                assert all(piece.rstrip()[-1] in "/.@" for piece in found.group().split("\n")[:-1]), found.group()


def test_a_long_word_in_a_heading_is_hyphenated(built):
    project, result = built
    lines = lines_of(result.renditions[0].document, "h3", HEADING)
    assert len(lines) >= 2, lines
    assert all(line.rstrip().endswith("\u2010") for line in lines[:-1]), lines
    assert "".join(line.rstrip().rstrip("\u2010") for line in lines) == HEADING


def test_table_header_words_are_hyphenated_or_whole(built):
    _, result = built
    document = result.renditions[0].document
    seen = []
    for page in document.pages:
        for box in page_box(page).descendants():
            if getattr(box, "element_tag", "") == "th" and isinstance(box, boxes.BlockContainerBox):
                lines = ["".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox)).strip()
                         for line in box.descendants() if isinstance(line, boxes.LineBox)]
                word = "".join(line.rstrip("\u2010") for line in lines)
                seen.append(word)
                assert all(line.endswith("\u2010") for line in lines[:-1]), lines
    assert set(HEADER_WORDS) <= set(seen), seen


def test_every_heading_level_has_room_above_it(built):
    _, result = built
    document = result.renditions[0].document
    for page in document.pages:
        flow = [box for box in page_box(page).descendants()
                if isinstance(box, boxes.BlockBox) and getattr(box, "element_tag", "") in ("p", "h3", "h4", "table")]
        for before, heading in zip(flow, flow[1:]):
            if heading.element_tag in ("h3", "h4") and abs(before.position_x - heading.position_x) < 1:
                gap = heading.border_box_y() - (before.border_box_y() + before.border_height())
                assert gap >= 3 * PX_PER_MM, (heading.element_tag, gap / PX_PER_MM)


def test_a_full_width_table_runs_across_both_columns(built):
    _, result = built
    document = result.renditions[0].document
    tables = [box for page in document.pages for box in page_box(page).descendants()
              if getattr(box, "element_tag", "") == "table" and isinstance(box, boxes.TableBox)]
    narrow, wide = tables[0], tables[-1]
    content = page_box(document.pages[1]).width
    assert wide.border_width() > 0.95 * content > narrow.border_width() * 1.8, (wide.border_width(), content)
