"""The words the tool itself puts on a page, in the PDF's structure and bookmarks, and in the proof
stamp, in the publication's `language:`; and its dates.

The words are written in English in the code and the layouts (`_("Colophon")`); the other
languages are gettext catalogs, `publication/_builtin/locale/<language>.po`, read with Babel.
The .po files are the catalogs themselves: plain text in the repository and in the wheel, with
no compiled .mo file to build or to keep in step (and so nothing that could make two builds
differ). tests/test_i18n.py checks that every word the code and the layouts ask for is in every
catalog.

A language without a catalog gets the English words; dates come from Babel's CLDR data, which
knows every language a publication can name.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po

from .builtin import BUILTIN_LOCALE

SOURCE_LANGUAGE = "en"
"""The language of the words in the code: needs no catalog."""


def catalog_path(language: str) -> Path:
    return BUILTIN_LOCALE / f"{language}.po"


def languages() -> tuple[str, ...]:
    """Every language the tool speaks: English and one per catalog."""
    return (SOURCE_LANGUAGE, *sorted(path.stem for path in BUILTIN_LOCALE.glob("*.po")))


@functools.cache
def _messages(language: str) -> dict[str, str]:
    path = catalog_path(language)
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {message.id: message.string for message in catalog
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy}


@functools.cache
def _plurals(language: str) -> tuple[dict[str, tuple[str, ...]], object]:
    """The catalog's plural messages (msgid_plural), by their singular, and its rule (Plural-Forms) that
    picks the form for a number."""
    path = catalog_path(language)
    if not path.is_file():
        return {}, None
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    forms = {message.id[0]: tuple(message.string) for message in catalog
             if isinstance(message.id, tuple) and all(message.string) and not message.fuzzy}
    return forms, gettext.c2py(catalog.plural_expr)


def _candidates(language: str) -> tuple[str, ...]:
    """'de-AT' looks in de_AT.po, then de.po."""
    parts = language.replace("_", "-").split("-")
    full = parts[0].lower() + ("_" + parts[1].upper() if len(parts) > 1 else "")
    return (full, parts[0].lower()) if full != parts[0].lower() else (full,)


@dataclass(frozen=True)
class Words:
    """The tool's words in one language: `words("Colophon")` is "Colofon" in Dutch."""

    language: str

    def __call__(self, message: str, **values: object) -> str:
        for name in _candidates(self.language):
            found = _messages(name).get(message)
            if found:
                return found.format(**values) if values else found
        return message.format(**values) if values else message

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The form for `n` of a message with a plural (gettext's ngettext), `{n}` and `values` filled in:
        `words.ngettext("{n} page", "{n} pages", 3)` is "3 pagina’s" in Dutch."""
        for name in _candidates(self.language):
            forms, rule = _plurals(name)
            if singular in forms:
                index = rule(n)
                return forms[singular][min(index, len(forms[singular]) - 1)].format(n=n, **values)
        return (singular if n == 1 else plural).format(n=n, **values)

    @property
    def locale(self) -> Locale:
        return locale_of(self.language)

    def long_date(self, value: dt.date) -> str:
        """'21 september 2016', 'September 21, 2016', '21. September 2016'."""
        return format_date(value, format="long", locale=self.locale)

    def month_year(self, value: dt.date) -> str:
        """'november 2016', 'November 2016'."""
        return format_date(value, format="LLLL y", locale=self.locale)


def words_for(language: str) -> Words:
    return Words(language)


def untranslated(message: str) -> str:
    """Marks an English message that is said later in a reader's language (`words(message, **values)`):
    imported as `_`, so tests/test_i18n.py finds it and asks every catalog for it."""
    return message


@functools.cache
def locale_of(language: str) -> Locale:
    """Babel's locale for a language code such as 'nl' or 'en-GB'; English where Babel knows none."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


def is_known_language(language: str) -> bool:
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


__all__ = ["Words", "words_for", "untranslated", "languages", "locale_of", "is_known_language", "catalog_path"]
