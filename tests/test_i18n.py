"""The tool's own words and dates follow `language:` (issue 13): catalogs complete, labels and dates in
the PDF in the publication's language, the old Dutch colofon keys still read with a located warning."""

from __future__ import annotations

import datetime as dt
import re

import pikepdf
import pytest
from babel.messages.pofile import read_po
from conftest import REPO
from helpers import built, flat_text
from pypdf import PdfReader

from publication.core.builtin import BUILTIN_LOCALE
from publication.core.i18n import languages, words_for

# The words the code and the layouts ask for: `_('...')` in a layout or in Python, `words_for(x)("...")`,
# and the English labels of the colofon lines (COLOFON_LINES).
ASKED = re.compile(r"""(?:\b_|words_for\([^()]*\)|stamp\.words)\(\s*(['"])(.+?)\1""")
# ... and those with a plural: `words.ngettext("{n} page", "{n} pages", n)`.
ASKED_PLURAL = re.compile(r"""\.ngettext\(\s*(['"])(.+?)\1,\s*(['"])(.+?)\3""")
DUTCH_TOOL_WORDS = ("Foto", "Foto’s", "Colofon", "Uitgave", "Redactie", "Vormgeving", "Telefoon", "Omslag",
                    "Achterkant", "pagina", "top")


def asked_words() -> set[str]:
    from publication.config.models import COLOFON_LINES

    found = set(COLOFON_LINES.values())
    for path in [*(REPO / "layouts").rglob("*.j2"), *(REPO / "publication").rglob("*.py")]:
        found |= {match.group(2) for match in ASKED.finditer(path.read_text(encoding="utf-8"))}
    return found


def asked_plurals() -> set[tuple[str, str]]:
    return {(match.group(2), match.group(4)) for path in (REPO / "publication").rglob("*.py")
            for match in ASKED_PLURAL.finditer(path.read_text(encoding="utf-8"))}


def test_the_code_asks_for_the_words_the_layouts_print():
    # A regex that found nothing would make the next test pass on any catalog.
    assert {"Colophon", "Published by", "Photo: {credit}", "Cover", "Back cover", "page {x} of {y}",
            "Source files", "Skip to the text"} <= asked_words()


@pytest.mark.parametrize("language", [name for name in languages() if name != "en"])
def test_no_catalog_gives_a_word_twice(language):
    """Babel keeps the last of two entries with one msgid without a word; gettext's msgfmt refuses the
    file. Branches that each add a word at the end of a catalog leave such pairs after a merge."""
    text = (BUILTIN_LOCALE / f"{language}.po").read_text(encoding="utf-8")
    ids = re.findall(r'^(?:msgctxt (".*")\n)?msgid (".+")$', text, flags=re.M)
    twice = sorted({entry for entry in ids if ids.count(entry) > 1})
    assert twice == [], f"{language}.po gives these more than once"


@pytest.mark.parametrize("language", [name for name in languages() if name != "en"])
def test_every_catalog_translates_every_word_the_tool_prints(language):
    with (BUILTIN_LOCALE / f"{language}.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and isinstance(message.id, str)
                  and message.string and not message.fuzzy}
    assert sorted(asked_words() - translated) == [], f"{language}.po lacks these"
    # A message with a plural has every form its Plural-Forms rule asks for.
    plurals = {message.id for message in catalog if isinstance(message.id, tuple) and not message.fuzzy
               and len(message.string) == catalog.num_plurals and all(message.string)}
    assert sorted(asked_plurals() - plurals) == [], f"{language}.po lacks these plurals"
    for message in catalog:  # a placeholder lost in translation would print '{credit}' or fail
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"{\w+}", ids[-1]))
            assert all(set(re.findall(r"{\w+}", string)) == wanted for string in strings), message.id


def test_a_plural_takes_the_form_of_its_number_in_each_language():
    assert {("{n} page", "{n} pages"), ("page {numbers} changed", "pages {numbers} changed")} <= asked_plurals()
    forms = {language: [words_for(language).ngettext("{n} page", "{n} pages", n) for n in (0, 1, 2)]
             for language in ("en", "nl", "de")}
    assert forms == {"en": ["0 pages", "1 page", "2 pages"], "nl": ["0 pagina’s", "1 pagina", "2 pagina’s"],
                     "de": ["0 Seiten", "1 Seite", "2 Seiten"]}


def test_english_dutch_and_german_are_there():
    assert {"en", "nl", "de"} <= set(languages())


@pytest.mark.parametrize("language, expected", [
    ("nl", "21 september 2016"), ("en", "September 21, 2016"), ("en-GB", "21 September 2016"),
    ("de", "21. September 2016"), ("fr", "21 septembre 2016")])
def test_dates_are_written_in_the_publications_language(language, expected):
    assert words_for(language).long_date(dt.date(2016, 9, 21)) == expected


ENGLISH_ARTICLE = """\
---
title: An article
---

First paragraph of the article.

![A caption](photos/foto.jpg){fig-alt="A description" credit="Jane Doe"}

Second paragraph.
"""


def set_language(project, language: str, article: str | None = None) -> None:
    project.edit("publication.yml", "language: nl", f"language: {language}")
    if article:
        project.write("01-artikel.md", article)


def test_an_english_publication_has_no_dutch_word_of_the_tool(project):
    set_language(project, "en", ENGLISH_ARTICLE)
    project.edit("publication.yml", "cover:\n", "event:\n  name: Open day\n  date: 2021-03-06\ncover:\n")
    for dutch, english in (("Fotograaf", "A. Photographer"), ("Redacteur", "An Editor"), ("Ontwerper", "A Designer"),
                           ("Testuitgever, mei 2020", "Test publisher, May 2020")):
        project.edit("publication.yml", dutch, english)
    result, pdf = built(project.root)
    text = flat_text(pdf)
    for word in ("Colophon", "Published by", "Editor", "Photography", "Design", "Contact", "Photo: Jane Doe",
                 "MARCH 6, 2021"):  # the cover sets the event in capitals
        assert word in text, word
    for word in DUTCH_TOOL_WORDS:
        assert not re.search(rf"\b{word}\b", text, re.IGNORECASE), word
    html = result.renditions[0].html
    assert 'aria-label="Cover"' in html and 'aria-label="Back cover"' in html and 'aria-label="Colophon"' in html
    assert result.warnings == ()


def test_a_german_publication_prints_german_labels_and_an_overridden_one(project):
    set_language(project, "de")
    project.edit("publication.yml", "  design: Ontwerper\n", "  design: Ontwerper\n  labels: {editor: Text}\n")
    _, pdf = built(project.root)
    text = flat_text(pdf)
    for word in ("Impressum", "Herausgeber", "Text Redacteur", "Fotos", "Gestaltung", "Kontakt", "Foto: Fotograaf"):
        assert word in text, word
    for word in ("Colofon", "Uitgave", "Redaktion", "Vormgeving", "Colophon"):
        assert word not in text, word


def test_the_old_dutch_colofon_keys_still_build_with_a_warning_that_names_the_new_key(project):
    for old, new in (("uitgave", "publisher"), ("redactie", "editor"), ("fotos", "photography"),
                     ("vormgeving", "design")):
        project.edit("publication.yml", f"  {new}:", f"  {old}:")
    result, pdf = built(project.root)
    warnings = sorted(str(problem) for problem in result.warnings if problem.code == "deprecated-key")
    assert warnings == [
        "content/publication.yml:10: warning: 'colofon.redactie' is deprecated: rename it to 'editor' "
        "(the printed label follows 'language:')",
        "content/publication.yml:11: warning: 'colofon.fotos' is deprecated: rename it to 'photography' "
        "(the printed label follows 'language:')",
        "content/publication.yml:12: warning: 'colofon.vormgeving' is deprecated: rename it to 'design' "
        "(the printed label follows 'language:')",
        "content/publication.yml:9: warning: 'colofon.uitgave' is deprecated: rename it to 'publisher' "
        "(the printed label follows 'language:')",
    ]
    text = flat_text(pdf)
    assert "Uitgave Testuitgever, mei 2020" in text and "Redactie Redacteur" in text


def test_an_old_publication_yml_with_a_tagline_keeps_its_mark(project):
    """Files of the old kind (Dutch colofon keys) had 'top' above the tagline from the cover layout."""
    project.edit("publication.yml", "  publisher:", "  uitgave:")
    project.edit("publication.yml", "  photo_alt: Een testfoto", "  photo_alt: Een testfoto\n  tagline: [Een, twee]")
    result, pdf = built(project.root)
    (warned,) = [str(p) for p in result.warnings if p.code == "deprecated-key" and "tagline_mark" in p.message]
    assert warned.startswith("content/publication.yml:8: warning: 'cover.tagline_mark' is not set")
    assert "".join(PdfReader(pdf).pages[0].extract_text().split()).startswith("topEentwee")
    # A file of the new kind says what it wants: no mark unless it sets one.
    project.edit("publication.yml", "  uitgave:", "  publisher:")
    result, pdf = built(project.root)
    assert "".join(PdfReader(pdf).pages[0].extract_text().split()).startswith("Eentwee")


def test_a_language_without_words_is_said_at_its_line(project):
    from publication.commands.check import check_project

    set_language(project, "fr")
    assert [str(problem) for problem in check_project(project.root) if problem.code == "unknown-language"] == [
        "content/publication.yml:2: warning: the tool's own words (the colofon's labels, 'Photo:' before a credit) "
        "have no translation into 'fr' yet (en, de, nl have one), so they are printed in English; set the "
        "colofon's labels under 'colofon.labels'"]
    project.edit("publication.yml", "language: fr", "language: xx")
    assert [problem.line for problem in check_project(project.root) if problem.code == "unknown-language"] == [2]


def test_the_proof_stamp_speaks_the_publications_language(project):
    from publication.commands.build import BuildOptions

    set_language(project, "de")
    result, _ = built(project.root, BuildOptions(targets=("proof",)))
    proof = next(path for path in result.written if "-proof-" in path.name)
    with pikepdf.open(proof) as pdf:  # the stamp itself is drawn in outlines, out of the text layer
        stamp = str(pdf.docinfo["/PublicationProof"])
    assert stamp.startswith("ENTWURF · Version ") and " · erstellt " in stamp
    text = flat_text(proof)
    assert "CONCEPT" not in text and "pagina" not in text and "versie" not in text
