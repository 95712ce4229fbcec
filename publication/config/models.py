"""The schema of a publication: `publication.yml` and each article's front matter.

The models are frozen so that they can be passed between pipeline stages safely.
Field descriptions end up in the JSON Schema that editors use for autocompletion.
"""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from dataclasses import dataclass
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from ..core.problems import Code, Problem, error, warning
from .page_layouts import DEFAULT_FOR_SIZE, PAGE_LAYOUTS
from .sourcemap import YamlDocument


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Event(Model):
    name: str = Field(description="Name of the event the publication reports on.")
    date: dt.date = Field(description="Date of the event, as YYYY-MM-DD.")
    venue: str = Field("", description="Where the event took place.")


class Cover(Model):
    photo: str = Field(description="Cover photo, relative to content/, e.g. photos/cover.jpg.")
    photo_alt: str = Field(description="What the cover photo shows, for readers who cannot see it.")
    tagline: list[str] = Field(default_factory=list, description="The publisher's slogan, one line per item.")
    tagline_mark: str = Field("", description="A short word set large above the tagline, e.g. a brand mark.")
    publisher_line: str = Field("", description="A line under the publisher's logo.")


class BackCover(Model):
    photo: str | None = Field(None, description="Back cover photo, relative to content/.")
    photo_alt: str = Field("", description="What the back cover photo shows.")


class Contact(Model):
    organisation: str = Field(description="Who to contact: the first line of the colofon's contact block.")
    address: list[str] = Field(default_factory=list, description="The address, one line per item.")
    phone: str = ""
    website: str = Field("", description="Without https://, e.g. www.example.org; also on the back cover.")
    email: str = ""
    twitter: str = ""


class ColofonLabels(Model):
    """Printed labels in place of the language's own, e.g. `editor: Text`."""

    title: str = Field("", description="The colofon's heading (English: Colophon).")
    publisher: str = Field("", description="English: Published by.")
    editor: str = Field("", description="English: Editor.")
    photography: str = Field("", description="English: Photography.")
    design: str = Field("", description="English: Design.")
    printing: str = Field("", description="English: Printing.")
    contact: str = Field("", description="English: Contact.")
    phone: str = Field("", description="English: Phone.")

    def __getitem__(self, key: str) -> str:
        return getattr(self, key)


@dataclass(frozen=True)
class ColofonLine:
    key: str
    label: str
    """The English label, the key to its translation (publication/core/i18n.py)."""
    value: str


COLOFON_LINES = {"publisher": "Published by", "editor": "Editor", "photography": "Photography",
                 "design": "Design", "printing": "Printing"}
"""The colofon's lines in printed order, with their English labels."""

DEPRECATED_COLOFON_KEYS = {"uitgave": "publisher", "redactie": "editor", "fotos": "photography",
                           "vormgeving": "design"}
"""The Dutch keys of the first publications: still read, with a warning naming the new key."""
OLD_TAGLINE_MARK = "top"
"""What the cover of those first publications printed above the tagline, before `cover.tagline_mark`."""


class Colofon(Model):
    """Who made the publication. Every line is optional; its label comes from `language:`."""

    publisher: str = Field("", description="Who publishes it, and when; printed as 'Published by' in English.")
    editor: str = Field("", description="The editor(s).")
    photography: str = Field("", description="The photographer(s).")
    design: str = Field("", description="Who designed it.")
    printing: str = Field("", description="Who printed it.")
    contact: Contact | None = None
    labels: ColofonLabels = Field(default_factory=ColofonLabels, description="Printed labels in place of the "
                                  "language's own.")

    def lines(self) -> list[ColofonLine]:
        return [ColofonLine(key, label, getattr(self, key)) for key, label in COLOFON_LINES.items()
                if getattr(self, key)]


def rename_deprecated_keys(doc: YamlDocument, source: str) -> list[Problem]:
    """Read the old Dutch colofon keys as the new ones, each with a warning at its line that names
    the new key (the way MkDocs deprecates a setting). Changes `doc` in place."""
    colofon = doc.data.get("colofon") if isinstance(doc.data, dict) else None
    if not isinstance(colofon, dict):
        return []
    problems = []
    cover = doc.data.get("cover")
    if isinstance(cover, dict) and cover.get("tagline") and "tagline_mark" not in cover \
            and DEPRECATED_COLOFON_KEYS.keys() & colofon.keys():
        # A publication.yml from before the language-neutral keys: its cover printed "top" above the
        # tagline, which the layout then wrote itself. It keeps it, and is told how to say so.
        cover["tagline_mark"] = OLD_TAGLINE_MARK
        problems.append(warning(source, doc.key_lines.get(("cover", "tagline")), f"'cover.tagline_mark' is not "
                                f"set: this publication.yml is of the old kind (with Dutch colofon keys), whose cover "
                                f"printed '{OLD_TAGLINE_MARK}' above the tagline, so it still does; write "
                                f"'tagline_mark: {OLD_TAGLINE_MARK}' under 'cover:' to keep it, or "
                                "'tagline_mark: \"\"' for none", Code.DEPRECATED_KEY))
    for old, new in DEPRECATED_COLOFON_KEYS.items():
        if old not in colofon:
            continue
        line = doc.key_lines.get(("colofon", old))
        if new in colofon:
            problems.append(warning(source, line, f"'colofon.{old}' is the old name of 'colofon.{new}', which is "
                                    f"also given; the old one is ignored: delete the line", Code.DEPRECATED_KEY))
            del colofon[old]
            continue
        problems.append(warning(source, line, f"'colofon.{old}' is deprecated: rename it to '{new}' (the printed "
                                f"label follows 'language:')", Code.DEPRECATED_KEY))
        colofon[new] = colofon.pop(old)
        for lines in (doc.key_lines, doc.value_lines):
            if ("colofon", old) in lines:
                lines[("colofon", new)] = lines[("colofon", old)]
    return problems


class PageSettings(Model):
    size: Literal["A4", "A5"] = Field("A4", description="Trimmed page size.")
    layout: Literal[tuple(PAGE_LAYOUTS)] | None = Field(  # type: ignore[valid-type]
        None, description="brochure: two columns, made for A4; pocket: one column, made for A5 and a multiple "
        "of 4 pages. Leave it out for brochure on A4 and pocket on A5.")

    @property
    def layout_name(self) -> str:
        return self.layout or DEFAULT_FOR_SIZE[self.size]


BINDING_MULTIPLE = {"saddle-stitch": 4, "perfect-bound": 2, "loose": 1}
"""The page count each binding needs a multiple of."""

PDFX_VERSIONS = {"x-4": "PDF/X-4", "x-1a": "PDF/X-1a:2003", "x-3": "PDF/X-3:2003"}
"""GTS_PDFXVersion of each print.standard; PDF/X-1a also declares it as its GTS_PDFXConformance."""


class PrintSettings(Model):
    """How the print-ready PDF is made; every value has a default, so the section is optional."""

    standard: Literal["x-4", "x-1a", "x-3"] = Field("x-4", description="PDF/X standard: x-4 (default), x-1a or x-3.")
    bleed_mm: float = Field(3.0, ge=0, le=10, description="Bleed around the trimmed page, in mm.")
    binding: Literal["saddle-stitch", "perfect-bound", "loose"] = Field(
        "saddle-stitch", description="saddle-stitch needs a multiple of 4 pages; perfect-bound an even number.")
    ppi: int = Field(300, ge=72, le=1200, description="Effective resolution photos are prepared for.")
    max_ink: int = Field(300, ge=200, le=400, description="Highest total area coverage allowed, in percent.")
    output_profile: str | None = Field(None, description="The print shop's CMYK ICC profile, relative to the project "
                                       "folder; default: the profile shipped in assets/icc.")
    output_condition_identifier: str | None = Field(
        None, description="The print condition the profile describes, e.g. FOGRA39 or FOGRA51.")
    marks: Literal["none", "crop"] = Field(
        "none", description="none (default): the page is the trimmed size plus the bleed, as online print shops "
        "ask; crop: crop marks in the registration colour outside the bleed, on a larger page.")
    overprint_black: bool = Field(
        True, description="100% K text and thin 100% K lines overprint the colours under them, so that a slight "
        "misregistration shows no white edge; false only if the print shop asks for it.")


class ProofSettings(Model):
    """How `publication proof` marks its pages."""

    watermark: str = Field("", max_length=24, description="Diagonal text on every proof page; default: the "
                           "language's word for a draft (DRAFT, CONCEPT, ENTWURF).")
    line_numbers: bool = Field(True, description="Number the lines of each column in the margin.")


class ScreenSettings(Model):
    """How the screen edition (<slug>-screen.pdf) treats photos."""

    ppi: int = Field(150, ge=72, le=150, description="Photo resolution at the placed size, in pixels per inch; "
                     "at most 150, the resolution the brochure is laid out with.")
    jpeg_quality: int = Field(80, ge=40, le=95, description="JPEG quality of the photos, 40 (small) to 95 (best).")


class Publication(Model):
    """The whole of `content/publication.yml`."""

    title: str
    subtitle: str = ""
    language: str = Field("nl", pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="Language code, e.g. en, nl, de or "
                          "en-GB: the language of the text, of the tool's own words and of dates.")
    date: dt.date = Field(description="Publication date, as YYYY-MM-DD; also the PDF's creation date.")
    edition: str = ""
    publisher: str
    author: str = ""
    keywords: list[str] = Field(default_factory=list)
    event: Event | None = None
    cover: Cover
    back_cover: BackCover = Field(default_factory=BackCover)
    colofon: Colofon = Field(default_factory=Colofon, description="Who made it: publisher, editor, photography, "
                             "design, printing, contact.")
    page: PageSettings = Field(default_factory=PageSettings)
    print: PrintSettings = Field(default_factory=PrintSettings, description="Settings for the print-ready PDF.")
    proof: ProofSettings = Field(default_factory=ProofSettings, description="Options for proofs.")
    screen: ScreenSettings = Field(default_factory=ScreenSettings, description="Settings for the screen edition.")
    theme: str = Field("plain", pattern=r"^[a-z0-9][a-z0-9-]*$", description="The house style: a folder in "
                       "assets/themes/ (the project's own or the built-in ones: plain, regio-zwolle).")
    articles: list[str] = Field(min_length=1, description="The article files, in reading order.")


class FrontMatter(Model):
    """The YAML block between `---` lines at the top of an article."""

    title: str = Field(description="The article's heading.")
    layout: Literal["opening", "article"] = Field("article", description="opening: the title page of the brochure.")
    subtitle: str = ""


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, if any."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in typing.get_args(annotation) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


_TYPE_NAMES = {
    "string_type": "text",
    "date_from_datetime_parsing": "a date like 2016-11-01",
    "date_parsing": "a date like 2016-11-01",
    "date_type": "a date like 2016-11-01",
    "list_type": "a list (lines starting with '- ')",
    "model_type": "a block of keys",
    "model_attributes_type": "a block of keys",
    "dict_type": "a block of keys",
    "literal_error": None,
    "string_pattern_mismatch": None,
}


def validate(model: type[Model], doc: YamlDocument, source: str) -> tuple[Model | None, list[Problem]]:
    """Validate a parsed YAML document; every problem becomes an Problem with its line."""
    data = doc.data
    if data is None:
        return None, [error(source, 1, f"the file is empty; it needs at least: "
                            f"{', '.join(n for n, f in model.model_fields.items() if f.is_required())}", Code.EMPTY)]
    if not isinstance(data, dict):
        return None, [error(source, doc.line_of((), value=True) or 1,
                            "expected keys and values (like 'title: ...'), found a single value", Code.NOT_A_MAPPING)]
    try:
        return model.model_validate(data), []
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        return None, [_issue_from(err, model, doc, source) for err in errors
                      if not _explained_by_typo(err, errors, model)]


def _explained_by_typo(err: dict[str, Any], errors: list[dict[str, Any]], model: type[Model]) -> bool:
    """A missing field whose misspelling is reported as an unknown key needs no second message."""
    if err["type"] != "missing":
        return False
    parent, name = tuple(err["loc"][:-1]), err["loc"][-1]
    for other in errors:
        if other["type"] == "extra_forbidden" and tuple(other["loc"][:-1]) == parent:
            if _nearest_key(str(other["loc"][-1]), model, parent) == name:
                return True
    return False


def _nearest_key(key: str, model: type[Model], parent: tuple[Any, ...]) -> str | None:
    owner = _model_at(model, parent)
    close = difflib.get_close_matches(key, list(owner.model_fields) if owner else [], n=1, cutoff=0.5)
    return close[0] if close else None


def _issue_from(err: dict[str, Any], model: type[Model], doc: YamlDocument, source: str) -> Problem:
    loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and part in ("function-after",)))
    kind = err["type"]
    name = _dotted(loc)
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        valid = list(parent.model_fields) if parent else []
        close = _nearest_key(str(loc[-1]), model, loc[:-1])
        hint = f"did you mean '{close}'?" if close else f"valid keys here are: {', '.join(valid)}"
        return error(source, doc.line_of(loc), f"unknown key '{name}'; {hint}", Code.UNKNOWN_KEY)
    if kind == "missing":
        parent = _dotted(loc[:-1])
        where = "at the top level" if len(loc) == 1 else f"under '{parent}'"
        return error(
            source,
            doc.line_of(loc[:-1]) or 1,
            f"missing required field '{loc[-1]}' {where}; add a line '{loc[-1]}: ...'",
            Code.MISSING_FIELD,
        )
    value = err.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    expected = _TYPE_NAMES.get(kind)
    if kind == "literal_error":
        expected = "one of " + err.get("ctx", {}).get("expected", "")
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "language":
        expected = "a language code such as 'nl' or 'en'"
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "theme":
        expected = "a theme name in lower case, such as 'plain'"
    elif kind == "too_short" and loc and loc[-1] == "articles":
        return error(source, doc.line_of(loc), "'articles' must list at least one article file", Code.WRONG_TYPE)
    message = f"'{name}' must be {expected}, not {shown}" if expected else f"'{name}': {err['msg']} (got {shown})"
    return error(source, doc.line_of(loc, value=True), message, Code.WRONG_TYPE)
