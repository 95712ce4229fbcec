"""Problems as values: one type for everything a build, a check or the preflight finds.

Every problem has a declared `Code` (one member of the table below, each with a sentence that
says what it means), a severity, a message that says what is wrong and how to fix it, and where
it is: the source file and line, and for what was found on the laid-out pages, the page, the
element and the area. Problems are collected across a whole run and raised together in one
`BuildFailed`, so a writer fixes every error in one pass.

The one shape for "a value plus what went wrong on the way" is a `(value, problems)` pair, where
`problems` is a list and `value` is None when an error made it impossible.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Code(str, enum.Enum):
    """Every kind of problem, declared once. The value is the stable id tools and reports use."""

    sentence: str

    def __new__(cls, value: str, sentence: str) -> "Code":
        member = str.__new__(cls, value)
        member._value_ = value
        member.sentence = sentence
        return member

    def __str__(self) -> str:
        return self.value

    # -- the project and its files
    NO_PROJECT = "no-project", "The folder has no content/publication.yml."
    UNREADABLE = "unreadable", "A source file cannot be read."
    NOT_UTF8 = "not-utf8", "A text file is not saved as UTF-8."
    EMPTY = "empty", "A file that needs content is empty."
    NOT_A_MAPPING = "not-a-mapping", "A YAML file holds a single value where keys and values belong."
    YAML_SYNTAX = "yaml-syntax", "The YAML cannot be parsed."
    YAML_DUPLICATE_KEY = "yaml-duplicate-key", "A key appears twice in the same YAML block."
    YAML_ALIAS = "yaml-alias", "YAML anchors and aliases, which are refused."
    YAML_TOO_DEEP = "yaml-too-deep", "YAML nested deeper than any publication needs."
    UNKNOWN_KEY = "unknown-key", "A key the schema does not know (often a typo)."
    MISSING_FIELD = "missing-field", "A required key is missing."
    DEPRECATED_KEY = "deprecated-key", "A key under its old name, still read; the message names the new one."
    UNKNOWN_LANGUAGE = "unknown-language", "A language the tool has no words or dates for: printed in English."
    WRONG_TYPE = "wrong-type", "A value of the wrong kind (text, date, list, one of a set)."
    BAD_ARTICLE_NAME = "bad-article-name", "An entry of 'articles' that is not a .md file name."
    DUPLICATE_ARTICLE = "duplicate-article", "An article listed twice."
    MISSING_ARTICLE = "missing-article", "An article listed but not found."
    UNLISTED_ARTICLE = "unlisted-article", "A Markdown file in content/ that is not listed, so left out."
    NO_FRONT_MATTER = "no-front-matter", "An article without its '---' front matter."
    SOURCE_DATE_EPOCH = "source-date-epoch", "SOURCE_DATE_EPOCH is not a number of seconds."
    # -- Markdown
    HEADING_LEVEL = "heading-level", "A '#' heading inside an article, where the title comes from front matter."
    UNKNOWN_CLASS = "unknown-class", "A style ('.name') that the layouts do not define."
    TOO_DEEP = "too-deep", "Inline markup nested deeper than the typesetter can take."
    INLINE_IMAGE = "inline-image", "A photo inside running text instead of a paragraph of its own."
    BAD_LINK = "bad-link", "A link that a PDF cannot follow."
    BAD_ATTRIBUTES = "bad-attributes", "Block attributes that cannot be read."
    UNKNOWN_BLOCK = "unknown-block", "A fenced div whose class is not a known block."
    UNKNOWN_ATTRIBUTE = "unknown-attribute", "An attribute a block does not take."
    UNKNOWN_PLACEMENT = "unknown-placement", "A photo placement that does not exist."
    BAD_WIDTH = "bad-width", "A photo width that is not a percentage of the column."
    BAD_HEIGHT = "bad-height", "A photo height that is not a length in mm, or is given to a photo that keeps its shape."
    HEIGHT_CLAMPED = "height-clamped", "A photo height more than the type area holds; printed as high as fits."
    LEFT_AS_TEXT = "left-as-text", "Markdown syntax that no rule understood, which would be printed as typed."
    UNCLOSED_BLOCK = "unclosed-block", "A pull quote or box ('::: ...') without its closing ':::'."
    EMPTY_BLOCK = "empty-block", "A pull quote or box with nothing in it."
    DUPLICATE_ID = "duplicate-id", "The same '{#name}' given to two headings or texts."
    # -- photos
    PHOTO = "photo", "A photo that is missing, outside the project or on the web."
    IMAGE_UNREADABLE = "image-unreadable", "A photo in a format that cannot be read."
    IMAGE_DAMAGED = "image-damaged", "A photo file that is damaged or cut short."
    IMAGE_TOO_LARGE = "image-too-large", "A photo with more pixels than is safe to decode."
    CACHE_UNWRITABLE = "cache-unwritable", "The photo cache in .cache/ cannot be written."
    # -- themes, layouts and stylesheets
    THEME_MISSING = "theme-missing", "The theme named in publication.yml does not exist."
    THEME_OUTSIDE = "theme-outside", "A theme file outside the theme's folder."
    COLOUR_NAME = "colour-name", "A theme colour with a name CSS cannot use."
    DEVICE_CMYK = "device-cmyk", "A theme colour without a usable CMYK value."
    CSS_MISSING = "css-missing", "A stylesheet the theme names is missing."
    LOGO_MISSING = "logo-missing", "The logo the theme names is missing."
    CSS_REFERENCE = "css-reference", "A url() or @import in a stylesheet that cannot be loaded."
    CSS_INVALID = "css-invalid", "CSS that WeasyPrint ignores, located in its stylesheet."
    GRADIENT = "gradient", "A gradient in a stylesheet in colours that are not theme colours (CMYK), for print."
    LAYOUT_SYNTAX = "layout-syntax", "A Jinja2 layout that does not parse."
    LAYOUT_UNDEFINED = "layout-undefined", "A layout that uses a value the content does not have."
    LAYOUT_MISSING = "layout-missing", "A layout file that is not found."
    OUTSIDE_PROJECT = "outside-project", "A file outside the project, which the build refuses to load."
    WEASYPRINT = "weasyprint", "A warning WeasyPrint logged while laying out the pages."
    # -- the print edition
    PROFILE = "profile", "The print shop's output profile is missing, outside the project or not CMYK."
    # -- the command line and outputs
    UNKNOWN_TARGET = "unknown-target", "An edition name that does not exist."
    OUTPUT_UNWRITABLE = "output-unwritable", "dist/ cannot be written."
    FOLDER_NOT_EMPTY = "folder-not-empty", "'publication new' was given a folder that is not empty."
    NO_STARTER = "no-starter", "`publication new` has no starter in the language asked for."
    NOT_A_PDF = "not-a-pdf", "A file given as a PDF is not one."
    BAD_PDF = "bad-pdf", "A PDF that cannot be read."
    BAD_REVIEW = "bad-review", "review/comments.yml, where the preview keeps its comments, cannot be read."
    SINCE_FOLDER = "since-folder", "'--since' took the project folder as the earlier proof."
    NO_PREVIOUS = "no-previous", "The earlier proof to compare with does not exist."
    INTERNAL = "internal", "A failure of the tool itself, not of the content."
    PREFLIGHT_CRASHED = "preflight-crashed", "The preflight could not run."
    # -- preflight: content
    IMAGE_MISSING = "image-missing", "Preflight: a photo is missing."
    CONTENT = "content", "Preflight: a content problem found before layout stopped the build."
    ALT_TEXT = "alt-text", "Preflight: a photo without alt text."
    CREDIT = "credit", "Preflight: a photo without a credit."
    # -- preflight: the laid-out pages
    IMAGE_RESOLUTION = "image-resolution", "Preflight: a photo below the resolution print needs."
    OVERSET = "overset", "Preflight: text or a box that runs out of its box or the page area."
    CLIPPED = "clipped", "Preflight: content cut off by overflow: hidden."
    SAFETY_ZONE = "safety-zone", "Preflight: text too close to the trim."
    RGB_COLOUR = "rgb-colour", "Preflight: RGB colour in a CMYK print file."
    MISSING_GLYPH = "missing-glyph", "Preflight: a character the publication's fonts cannot draw."
    FONT_FALLBACK = "font-fallback", "Preflight: text set in a font that is not in assets/fonts."
    SVG_FONT = "svg-font", "Preflight: text in an SVG logo set in a family the project has no font file for."
    WIDOW = "widow", "Preflight: the last line of a paragraph alone at the top of a column."
    ORPHAN = "orphan", "Preflight: the first line of a paragraph alone at the foot of a column."
    HEADING_AT_BOTTOM = "heading-at-bottom", "Preflight: a heading at the foot of a column, its text on the next."
    EMPTY_PAGE = "empty-page", "Preflight: a page with nothing on it that is not blank on purpose."
    PADDING = "padding", "Preflight: blank pages added to reach the binding's multiple."
    PAGE_GAP = "page-gap", "Preflight: a page more than 40 % empty before content that did not fit, not at a break."
    SPLIT = "split", "Preflight: a colofon, box or table split over pages."
    SHORT_TAIL = "short-tail", "Preflight: the last lines of an article (five or fewer) alone on a page."
    # -- preflight: the PDF file
    PDF_X = "pdf-x", "Preflight: the file does not declare the PDF/X version or output intent."
    PAGE_COUNT = "page-count", "Preflight: a page count that the binding cannot take."
    PAGE_BOXES = "page-boxes", "Preflight: TrimBox, BleedBox or MediaBox wrong or missing."
    FONT_EMBEDDING = "font-embedding", "Preflight: a font that is not embedded, or a Type 3 font."
    SYSTEM_FONT = "system-font", "Preflight: the PDF embeds a font file that is not one of the project's fonts."
    TRANSPARENCY = "transparency", "Preflight: transparency in PDF/X-1a or X-3."
    BEYOND_TRIM = "beyond-trim", "Preflight: text or a photo beyond the trim in the final PDF, short of the bleed."
    ANNOTATION = "annotation", "Preflight: a link or comment inside the trim of the print file."
    BLACK_KNOCKOUT = "black-knockout", "Preflight: 100 % K text that knocks out the colours under it."
    SMALL_TEXT_INKS = "small-text-inks", "Preflight: text under 9 pt printed in more than one ink."
    INK_COVERAGE = "ink-coverage", "Preflight: total ink above the limit the press allows."


WEASYPRINT_CODES = (Code.WEASYPRINT, Code.CSS_INVALID)
"""WeasyPrint's warnings: as it logged them, or located in the stylesheet they came from."""


@dataclass(frozen=True)
class Problem:
    """One problem, located in a source file and, where it was found on the pages, on its page."""

    path: str
    """The source file, relative to the project ('content/02-x.md'), or a label such as 'command line'."""
    line: int | None
    message: str
    severity: Severity = Severity.ERROR
    code: Code = Code.INTERNAL
    page: int | None = None
    """1-based page number, for a problem found on the laid-out pages."""
    element: str = ""
    """The element on the page, as 'tag.class'."""
    area: tuple[float, float, float, float] | None = None
    """x, y, width, height in mm from the top left of the trimmed page, to mark the problem."""

    def __str__(self) -> str:
        where = self.location or (f"page {self.page}" if self.page else "")
        context = [f"page {self.page}"] if self.page and self.location else []
        context += [self.element] if self.element else []
        prefix = "" if self.is_error else "warning: "
        text = f"{prefix}{self.message}" + (f" ({', '.join(context)})" if context else "")
        return f"{where}: {text}" if where else text

    @property
    def location(self) -> str:
        """'file:line', 'file', or '' when the problem has no place in the sources."""
        if not self.path:
            return ""
        return self.path if self.line is None else f"{self.path}:{self.line}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(path: str | Path, line: int | None, message: str, code: Code, **where) -> Problem:
    return Problem(str(path), line, message, Severity.ERROR, Code(code), **where)


def warning(path: str | Path, line: int | None, message: str, code: Code, **where) -> Problem:
    return Problem(str(path), line, message, Severity.WARNING, Code(code), **where)


def split_location(location: str) -> tuple[str, int | None]:
    """'content/a.md:12' -> ('content/a.md', 12); 'content/a.md' -> ('content/a.md', None)."""
    path, _, line = location.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (location, None)


class BuildFailed(Exception):
    """Raised when a stage found errors; carries every problem found so far."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        self.written: tuple = ()
        """Files written although the build failed: only the preflight report."""
        self.summary = ""
        """The preflight's one-line verdict, when preflight failed the build."""
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def issues(self) -> tuple[Problem, ...]:
        return self.problems

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.is_error)


def raise_if_errors(problems: list[Problem] | tuple[Problem, ...]) -> None:
    if any(problem.is_error for problem in problems):
        raise BuildFailed(problems)
