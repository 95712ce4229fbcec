"""Stage 2: Markdown articles to HTML fragments, with figures, pull quotes and boxes.

CommonMark via markdown-it-py, plus the Pandoc/Quarto conventions people know:
fenced divs (`::: {.pullquote}`, `::: box`, nesting with fences of equal length), block
attributes (`{.lead}`), image attributes (`{fig-alt="..." credit="..." .full-width}`,
`{width=50%}`), heading ids (`## Kop {#samen}`), spans (`[words]{.smallcaps}`, `{lang=en}`),
footnotes (`[^1]`, `^[...]`, rendered at their call for WeasyPrint's `float: footnote`), line
blocks, definition lists, strikeout, sub- and superscript, table captions, and quotes and
apostrophes as the publication's language writes them. Pandoc (`pandoc -f markdown`) is the
reference: tests/test_markdown_pandoc.py compares the words of both on a corpus, and
docs/authoring.md lists the deliberate differences. Syntax that no rule understood would be
printed as typed; `_Renderer.left_as_text` reports it instead of letting it pass silently.
Raw HTML is never passed through: it is escaped and shows up as text, so content can never
inject markup or scripts.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from ..config.geometry import geometry_for
from ..config.models import FrontMatter
from ..config.page_layouts import page_geometry
from ..core.files import resolve_local_file
from ..core.i18n import SOURCE_LANGUAGE, words_for
from ..core.problems import Code, Problem, error, warning
from .sources import ArticleSource, Project

PLACEMENTS = ("inline", "full-width", "full-bleed")
BLOCKS = ("pullquote", "box")
WRAPPERS = ("full-width",)  # a plain <div> around what it holds: '::: {.full-width}' spans a table across the columns
BLOCK_MODIFIERS = {"box": ("page",)}  # .page: the box fills a page of its own
# The element inside each block's <aside> that gives it its meaning in a tagged PDF (PDF/UA-1
# is PDF 1.7, which has no Aside): a pull quote quotes someone, a box is a section of its own.
INNER_ELEMENTS = {"pullquote": "blockquote", "box": "section"}
PARAGRAPH_CLASSES = ("lead",)
SPAN_CLASSES = ("smallcaps", "underline", "mark")
HEADING_CLASSES = ("unnumbered", "unlisted")  # Pandoc's; headings are never numbered here anyway
IMAGE_ATTRIBUTES = ("class", "id", "fig-alt", "credit", "width", "height", "lang")
CAPTION_ROOM_MM = 9
"""Below a photo with a caption or credit: the caption's 1.8 mm and two lines of 10 pt (7.1 mm)."""
# Quotation marks as each language writes them: double open, double close, single open, single close.
QUOTES = {
    "nl": ("“", "”", "‘", "’"),
    "en": ("“", "”", "‘", "’"),
    "de": ("„", "“", "‚", "‘"),
    "fr": ("«\u202f", "\u202f»", "“", "”"),
}
LINK_SCHEMES = ("http", "https", "mailto", "tel")
MAX_INLINE_NESTING = 20


@dataclass(frozen=True)
class Figure:
    src: str
    path: Path | None
    placement: str
    caption: str
    alt: str
    credit: str
    width_percent: int | None
    source: str
    line: int
    height_mm: int | None = None
    """A full-width photo's own height (height=120mm); None for the layout's."""


@dataclass(frozen=True)
class RenderedArticle:
    source: ArticleSource
    html: str
    figures: tuple[Figure, ...]
    anchors: tuple[tuple[str, int], ...] = ()
    """The ids given to headings and text ('{#samen}'), each with its line."""
    internal_links: tuple[tuple[str, int], ...] = ()
    """The links within the publication ('[zie](#samen)'): the id, and the line."""


def check_link_targets(articles: list[RenderedArticle]) -> list[Problem]:
    """Across the publication: every id given once, and every link to '#id' pointing to one."""
    issues: list[Problem] = []
    first: dict[str, tuple[str, int]] = {}
    for article in articles:
        for name, line in article.anchors:
            if name in first:
                where = first[name]
                issues.append(error(article.source.display_path, line,
                                    f"the name '#{name}' is already given at {where[0]}:{where[1]}; "
                                    "give each heading its own name", Code.DUPLICATE_ID))
            else:
                first[name] = (article.source.display_path, line)
    for article in articles:
        for name, line in article.internal_links:
            if name not in first:
                close = difflib.get_close_matches(name, list(first), n=1, cutoff=0.6)
                hint = f" (did you mean '#{close[0]}'?)" if close else ""
                issues.append(error(article.source.display_path, line,
                                    f"link '#{name}' points to nothing{hint}; give the heading the name, "
                                    f"as '## Heading {{#{name}}}', or correct the link", Code.BAD_LINK))
    return issues


DIV_FENCE = re.compile(r" {0,3}(:{3,})\s*(.*?)\s*:*\s*$")
CODE_FENCE = re.compile(r" {0,3}(```|~~~)")


def _div_params(params: str) -> str | None:
    """The attributes of a fenced div's opening line as '{...}' (a bare word is a class), or None."""
    if params.startswith("{"):
        return params
    if re.fullmatch(r"[\w-]+", params):
        return "{." + params + "}"
    return None


def _fenced_div(state, start_line: int, end_line: int, silent: bool) -> bool:
    """Pandoc's fenced divs: `::: {.box}` or `::: box` up to a line of colons. Unlike
    markdown-it's containers, an inner div may use a fence of the same length: fences nest."""
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start_line] + state.tShift[start_line]:state.eMarks[start_line]]
    match = DIV_FENCE.fullmatch(line)
    if not match or not match.group(2) or _div_params(match.group(2)) is None:
        return False
    if silent:
        return True
    depth, in_code, close = 1, "", None
    for number in range(start_line + 1, end_line):
        text = state.src[state.bMarks[number] + state.tShift[number]:state.eMarks[number]]
        if state.sCount[number] < state.blkIndent and text.strip():
            break
        code = CODE_FENCE.match(text)
        if code:
            in_code = "" if in_code == code.group(1) else (in_code or code.group(1))
        if in_code:
            continue
        fence = DIV_FENCE.fullmatch(text)
        if fence and (not fence.group(2) or _div_params(fence.group(2))):  # a close, or an inner opening
            depth += 1 if fence.group(2) else -1
            if depth == 0:
                close = number
                break
    last = close if close is not None else end_line
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = "container", last
    token = state.push("container_div_open", "div", 1)
    token.markup, token.info, token.block = match.group(1), _div_params(match.group(2)), True
    token.map = [start_line, last]
    token.meta = {"unclosed": close is None}
    state.md.block.tokenize(state, start_line + 1, last)
    token = state.push("container_div_close", "div", -1)
    token.block = True
    state.parentType, state.lineMax = old_parent, old_max
    state.line = last + 1 if close is not None else last
    return True


HEADING_ATTRIBUTES = re.compile(r"\s+(\{[^{}]*\})\s*$")
LINE_BLOCK = re.compile(r"\|( |$)")
PERCENT_VALUE = re.compile(r"((?<=\))\{[^{}\n]*?\b[\w-]+=)(\d+(?:[.,]\d+)?%)")  # on an image: ){...}


def _blocks(state) -> None:
    """Before the inline rules: attributes at the end of a heading (`## Kop {#samen}`), line blocks
    (`| Postbus 140`) and unquoted percentages in attributes (`{width=50%}`, as Pandoc reads it)."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline":
            continue
        token.content = PERCENT_VALUE.sub(r'\1"\2"', token.content)
        opening = tokens[index - 1] if index else None
        if opening is not None and opening.type == "heading_open":
            match = HEADING_ATTRIBUTES.search(token.content)
            if match:
                try:
                    _, attrs = parse_attrs(re.sub(r"(?<=[{\s])-(?=[\s}])", ".unnumbered", match.group(1)))
                except ParseError:
                    continue
                token.content = token.content[:match.start()]
                opening.meta["attrs"] = attrs
        elif opening is not None and opening.type == "paragraph_open":
            lines = token.content.split("\n")
            if LINE_BLOCK.match(lines[0]) and all(LINE_BLOCK.match(x) or x.startswith(" ") for x in lines):
                kept: list[str] = []
                for text in lines:
                    if LINE_BLOCK.match(text):
                        body = text[2:]
                        indent = len(body) - len(body.lstrip(" "))
                        kept.append("\u00a0" * indent + body.lstrip(" "))
                    else:  # a continuation line
                        kept[-1] += " " + text.strip()
                token.content = "\\\n".join(kept)
                opening.meta["line_block"] = True


ELISIONS = {"nl": re.compile(r"(?<![\w’'])'(?=(?:t|s|n|k|m|r|ie)\b)")}
YEAR = re.compile(r"(?<![\w’'])'(?=\d\d\b)")
REPLACEMENTS = ((re.compile(r"\.\.\."), "…"), (re.compile(r"(?<!-)---(?!-)"), "—"), (re.compile(r"(?<!-)--(?!-)"), "–"))


def _typography(language: str):
    elision = ELISIONS.get(language)

    def rule(state) -> None:
        """Apostrophes in elisions ('t, 's-Hertogenbosch, '80) and the replacements Pandoc makes
        (--, ---, ...); not markdown-it's (c), (r), (tm) and +-, which change words."""
        for token in state.tokens:
            inside_autolink = 0
            for child in token.children or ():
                if child.type == "link_open" and child.info == "auto":
                    inside_autolink += 1
                elif child.type == "link_close" and inside_autolink:
                    inside_autolink -= 1
                if child.type != "text" or inside_autolink:
                    continue
                text = YEAR.sub("’", child.content)
                if elision:
                    text = elision.sub("’", text)
                for pattern, replacement in REPLACEMENTS:
                    text = pattern.sub(replacement, text)
                child.content = text

    return rule


def _bookmark_label(inline: Token) -> str | None:
    """A heading's words without its footnote calls, for its PDF bookmark (`bookmark-label: attr(data-bookmark)`
    in the stylesheet), or None when it has no footnote: WeasyPrint's own label, the heading's text, would
    end in the call's number ('Samenwerken1')."""
    children = inline.children or []
    if not any(child.type == "footnote_ref" for child in children):
        return None
    words = "".join(" " if child.type in ("softbreak", "hardbreak") else child.content
                    for child in children if child.type in ("text", "code_inline", "softbreak", "hardbreak"))
    return " ".join(words.split())


@functools.lru_cache(maxsize=None)
def _parser(language: str = "en") -> MarkdownIt:
    quotes = QUOTES.get(language.split("-")[0], QUOTES["en"])
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": list(quotes)})
    md.enable(["smartquotes", "table", "strikethrough"])
    # markdown-it silently turns a refused link into plain text; let every address through so
    # that the renderer can say what is wrong with it (see _Renderer.check_link and resolve_local_file).
    md.validateLink = lambda url: True
    md.block.ruler.before("fence", "fenced_div", _fenced_div, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    md.use(sub_plugin)
    md.use(superscript_plugin)
    md.use(attrs_plugin, allowed=IMAGE_ATTRIBUTES, spans=True)
    md.use(attrs_block_plugin, allowed=("class",))
    md.core.ruler.after("block", "pandoc_blocks", _blocks)
    md.core.ruler.before("smartquotes", "pandoc_typography", _typography(language.split("-")[0]))
    md.add_render_rule("text", _text)
    md.add_render_rule("footnote_ref", _footnote)
    md.core.ruler.push("spaced_dashes", _dashes)
    return md


def _footnote(_renderer: object, tokens: list[Token], index: int, _options: object, env: dict) -> str:
    """A note where it is called, floated by the stylesheet to the foot of the page (`float: footnote`)."""
    note = env.get("notes", {}).get(tokens[index].meta["id"], "")
    return f'<span class="footnote">{note}</span>'


LONG_WORD = re.compile(r"\S{%d,}" % 60)


ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?)\]’”]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
"""A web address (with http(s):// or www.) or an e-mail address, without the punctuation after it."""


def breakable_address(address: str) -> str:
    """An address as HTML that is never hyphenated (class 'address') and may break after '/', '.' and '@'
    (a zero-width space there, which the line breaker sees inside one run of text as it does not see a
    <wbr>), as addresses are broken in print: a hyphen would read as part of the address."""
    parts = re.split(r"(?<=[/.@])(?=[^/])", address)
    return '<span class="address">' + "\u200b".join(escapeHtml(part) for part in parts) + "</span>"


def _text(_renderer: object, tokens: list[Token], index: int, *_: object) -> str:
    """Escaped text; web and e-mail addresses break only after '/', '.' and '@'; a run without spaces
    longer than any real word is marked so that it breaks anywhere."""
    content, html, start = tokens[index].content, [], 0
    for found in ADDRESS.finditer(content):
        html.append(_plain(content[start:found.start()]))
        html.append(breakable_address(found.group()))
        start = found.end()
    return "".join(html) + _plain(content[start:])


def _plain(text: str) -> str:
    return LONG_WORD.sub(lambda run: f'<span class="unbroken">{run.group()}</span>', escapeHtml(text))


_SPACED_HYPHEN = re.compile(r"(?<=\w) - (?=\w)")


def _dashes(state) -> None:
    """A hyphen between spaces is a dash in Dutch (and English) typesetting: use an en dash.
    An escaped space (`10\\ km`) is a non-breaking space, as in Pandoc."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text":
                child.content = _SPACED_HYPHEN.sub(" – ", child.content).replace("\\ ", "\u00a0")


_MD = _parser()


class _Renderer:
    """Walks markdown-it tokens; collects figures and issues while writing HTML."""

    def __init__(self, article: ArticleSource, project: Project, image_url: Callable[[Figure], str] | None):
        self.article = article
        self.project = project
        self.image_url = image_url
        self.issues: list[Problem] = []
        self.figures: list[Figure] = []
        self.open_blocks: list[dict[str, str]] = []
        self.env: dict = {"notes": {}}
        self.anchors: list[tuple[str, int]] = []
        self.internal_links: list[tuple[str, int]] = []

    def line(self, token: Token) -> int:
        return self.article.body_line + (token.map[0] if token.map else 0)

    def error(self, token: Token, message: str, code: str) -> None:
        self.issues.append(error(self.article.display_path, self.line(token), message, code))

    def warning(self, token: Token, message: str, code: str, offset: int = 0) -> None:
        self.issues.append(warning(self.article.display_path, self.line(token) + offset, message, code))

    def render(self, tokens: list[Token]) -> str:
        tokens = self.take_notes(tokens)
        _table_captions(tokens)
        out: list[str] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.meta.get("caption_of_table"):
                index += 3
                continue
            if token.type == "container_div_open" and tokens[index + 1].type == "container_div_close":
                self.warning(token, "this block is empty: put its text between the line "
                             f"'{token.markup} {token.info}' and the closing '{token.markup}', or remove both lines",
                             Code.EMPTY_BLOCK)
            if (token.type == "paragraph_open" and index + 2 < len(tokens)
                    and tokens[index + 1].type == "inline" and _only_image(tokens[index + 1])):
                out.append(self.figure(token, tokens[index + 1].children[0]))
                index += 3
                continue
            if token.type == "heading_open" and index + 1 < len(tokens) and tokens[index + 1].type == "inline":
                token.meta["bookmark"] = _bookmark_label(tokens[index + 1])
            out.append(self.block(token))
            index += 1
        return "".join(out)

    def take_notes(self, tokens: list[Token]) -> list[Token]:
        """The footnotes, which the footnote plugin moved to the end, rendered for their calls."""
        if not any(token.type == "footnote_block_open" for token in tokens):
            return tokens
        start = next(i for i, token in enumerate(tokens) if token.type == "footnote_block_open")
        note_id, parts = None, []
        for token in tokens[start:]:
            if token.type == "footnote_open":
                note_id, parts = token.meta["id"], []
            elif token.type == "inline":
                parts.append(self.block(token))
            elif token.type == "footnote_close":
                self.env["notes"][note_id] = "<br>".join(parts)
        return tokens[:start]

    def block(self, token: Token) -> str:
        kind = token.type
        if kind in ("paragraph_open", "paragraph_close") and token.hidden:
            return ""  # tight list items: their text without a paragraph
        if kind == "container_div_open":
            return self.open_div(token)
        if kind == "container_div_close":
            attrs = self.open_blocks.pop() if self.open_blocks else {}
            by = attrs.get("by")
            footer = f'<footer class="attribution">{escapeHtml(by)}</footer>' if by else ""
            inner = f"</{attrs['_inner']}>" if attrs.get("_inner") else ""
            return f"{inner}{footer}</{attrs.get('_tag', 'div')}>\n"
        if kind == "heading_open":
            level = int(token.tag[1])
            if level == 1:
                self.issues.append(
                    warning(
                        self.article.display_path,
                        self.line(token),
                        "'#' is for the article title, which comes from 'title' in the front matter; "
                        "use '##' for a section heading",
                        Code.HEADING_LEVEL,
                    )
                )
            level = min(max(level, 2), 4) + 1  # the article title is h2: '##' is h3, '####' h5
            bookmark = token.meta.get("bookmark")
            label = f' data-bookmark="{escapeHtml(bookmark)}"' if bookmark is not None else ""
            return f'<h{level}{self.heading_attributes(token)}{label} data-line="{self.line(token)}">'
        if kind == "heading_close":
            level = min(max(int(token.tag[1]), 2), 4) + 1
            return f"</h{level}>\n"
        if kind == "paragraph_open":
            classes = _classes(token.attrs.get("class", ""))
            for name in classes:
                if name not in PARAGRAPH_CLASSES:
                    # The style stands on its own line ('{.lead}') just above the paragraph.
                    self.issues.append(
                        error(
                            self.article.display_path,
                            self.line(token) - 1,
                            f"unknown paragraph style '.{name}'{_suggest(name, PARAGRAPH_CLASSES)}",
                            Code.UNKNOWN_CLASS,
                        )
                    )
            known = [c for c in classes if c in PARAGRAPH_CLASSES]
            known += ["line-block"] if token.meta.get("line_block") else []
            cls = f' class="{" ".join(known)}"' if known else ""
            return f'<p{cls} data-line="{self.line(token)}">'
        if kind == "inline":
            if _nesting(token.children or ()) > MAX_INLINE_NESTING:
                self.error(
                    token,
                    f"bold, italic and links are nested more than {MAX_INLINE_NESTING} deep here; "
                    "remove the extra '*', '_' or '['",
                    Code.TOO_DEEP,
                )
                return escapeHtml(token.content)
            self.left_as_text(token)
            for child in token.children or ():
                if child.type == "link_open":
                    self.check_link(token, child)
                if child.type == "span_open":
                    self.check_span(token, child)
                if child.type in ("span_open", "link_open") and child.attrs.get("id"):
                    self.anchors.append((str(child.attrs["id"]), self.line(token)))
                if child.type == "image":
                    self.error(
                        token,
                        "a photo must stand in a paragraph of its own, with an empty line before and after it",
                        Code.INLINE_IMAGE,
                    )
                    child.type = "text"
                    child.content = ""
            return _MD.renderer.renderInline(token.children or [], _MD.options, self.env)
        if kind == "table_open":  # each table and row names its line, so the preflight can point at a cell
            caption = f"<caption>{self.block(token.meta['caption'])}</caption>\n" if token.meta.get("caption") else ""
            return f'<table data-line="{self.line(token)}">\n{caption}'
        if kind in ("bullet_list_open", "ordered_list_open", "dl_open") and token.map:
            opened = _MD.renderer.render([token], _MD.options, {})  # <ul>, <ol start="3">, <dl>
            return opened.replace(">", f' data-line="{self.line(token)}">', 1)
        if kind == "tr_open" and token.map:
            return f'<tr data-line="{self.line(token)}">\n'
        if kind in ("html_block", "html_inline"):
            return f"<p>{escapeHtml(token.content)}</p>"
        if kind in ("fence", "code_block"):
            return f"<pre>{escapeHtml(token.content)}</pre>\n"
        return _MD.renderer.render([token], _MD.options, {})

    def check_link(self, token: Token, link: Token) -> None:
        href = str(link.attrs.get("href", ""))
        scheme = urlsplit(href).scheme.lower()
        if href.startswith("#"):
            self.internal_links.append((unquote(href[1:]), self.line(token)))
            return
        if scheme not in LINK_SCHEMES:
            self.error(
                token,
                f"link '{href}' cannot be used in a PDF; link to a web address "
                "(https://...) or an e-mail address (mailto:...)",
                Code.BAD_LINK,
            )
            link.attrs["href"] = ""

    def open_div(self, token: Token) -> str:
        info = token.info.strip()
        if token.meta.get("unclosed"):
            self.error(
                token,
                f"this block is never closed: add a line '{token.markup}' after its last paragraph "
                "(everything after this line is in the block now)",
                Code.UNCLOSED_BLOCK,
            )
        try:
            _, attrs = parse_attrs(info)
        except ParseError as exc:
            self.error(
                token,
                f"cannot read the block's attributes '{info}': {exc}; write them like '::: {{.pullquote}}'",
                Code.BAD_ATTRIBUTES,
            )
            attrs = {}
        classes = _classes(attrs.get("class", ""))
        kind = next((c for c in classes if c in BLOCKS + WRAPPERS), None)
        if kind is None:
            name = classes[0] if classes else info
            self.error(
                token,
                f"unknown block '{name}'{_suggest(name.lstrip('.'), BLOCKS + WRAPPERS)}; "
                f"blocks are: {', '.join('.' + b for b in BLOCKS + WRAPPERS)}",
                Code.UNKNOWN_BLOCK,
            )
            kind = "unknown"
        unknown = sorted(set(attrs) - {"class", "by"})
        if unknown:
            self.error(
                token,
                f"unknown attribute '{unknown[0]}' on the block; only 'by' (the person quoted) is allowed",
                Code.UNKNOWN_ATTRIBUTE,
            )
        modifiers = [c for c in classes if c != kind and c in BLOCK_MODIFIERS.get(kind, ())]
        for name in classes:
            if name != kind and name not in modifiers and kind in BLOCKS + WRAPPERS:
                allowed = BLOCK_MODIFIERS.get(kind, ())
                hint = f"; a .{kind} can take {', '.join('.' + m for m in allowed)}" if allowed else ""
                self.error(token, f"unknown style '.{name}' on the .{kind}{hint}", Code.UNKNOWN_CLASS)
        tag = "aside" if kind in BLOCKS else "div"
        inner = INNER_ELEMENTS.get(kind, "")
        kind = " ".join([kind, *modifiers])
        self.open_blocks.append({"_tag": tag, "_inner": inner, "by": attrs.get("by", "")})
        return f'<{tag} class="{kind}" data-line="{self.line(token)}">' + (f"<{inner}>" if inner else "")

    def heading_attributes(self, token: Token) -> str:
        """`## Kop {#samen .unnumbered}`: the id becomes a target for links such as `[zie](#samen)`."""
        attrs = token.meta.get("attrs") or {}
        for name in _classes(attrs.get("class", "")):
            if name not in HEADING_CLASSES:
                self.error(token, f"unknown heading style '.{name}'{_suggest(name, HEADING_CLASSES)}",
                           Code.UNKNOWN_CLASS)
        for key in sorted(set(attrs) - {"class", "id"}):
            self.error(token, f"unknown attribute '{key}' on the heading; only '#id' and '.unnumbered' are allowed",
                       Code.UNKNOWN_ATTRIBUTE)
        if not attrs.get("id"):
            return ""
        self.anchors.append((str(attrs["id"]), self.line(token)))
        return f' id="{escapeHtml(attrs["id"])}"'

    def check_span(self, inline: Token, span: Token) -> None:
        """`[tekst]{.smallcaps}`, `[Bonjour]{lang=fr}`: known styles and a language code."""
        classes = _classes(str(span.attrs.get("class", "")))
        for name in classes:
            if name not in SPAN_CLASSES:
                self.error(
                    inline,
                    f"unknown text style '.{name}'{_suggest(name, SPAN_CLASSES)}; "
                    f"styles are: {', '.join('.' + c for c in SPAN_CLASSES)}",
                    Code.UNKNOWN_CLASS,
                )
        lang = str(span.attrs.get("lang", ""))
        if "lang" in span.attrs and not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
            self.error(inline, f"language '{lang}' is not a language code; write e.g. lang=en or lang=fr",
                       Code.BAD_ATTRIBUTES)
        for key in sorted(set(span.attrs) - {"class", "id", "lang"}):
            self.error(inline, f"unknown attribute '{key}' on the text; only 'lang' and styles are allowed",
                       Code.UNKNOWN_ATTRIBUTE)
            del span.attrs[key]

    def left_as_text(self, inline: Token) -> None:
        """Nothing lost without a word: Markdown syntax that no rule understood and would be printed."""
        for child in inline.children or ():
            if child.type != "text":
                continue
            for pattern, what in LEFT_AS_TEXT:
                found = pattern.search(child.content)
                if found:
                    at = inline.content.find(found.group())
                    offset = inline.content.count("\n", 0, at) if at >= 0 else 0
                    self.warning(inline, f"'{found.group().strip()}' would be printed as typed: {what}",
                                 Code.LEFT_AS_TEXT, offset)
                    break

    def type_area_height(self) -> float:
        """The height in mm of the type area of this publication's pages (A4 in the brochure layout when
        there is no project): the most a photo across the columns can be."""
        config = self.project.config
        page = getattr(config, "page", None) if config else None
        return page_geometry(page, bleed=0).text_height if page else geometry_for("A4").text_height

    def figure(self, paragraph: Token, image: Token) -> str:
        attrs = {key: str(value) for key, value in image.attrs.items()}
        src = attrs.pop("src", "")
        classes = _classes(attrs.pop("class", ""))
        placement = "inline"
        for name in classes:
            if name in PLACEMENTS:
                placement = name
            else:
                self.error(
                    paragraph,
                    f"unknown photo placement '.{name}'{_suggest(name, PLACEMENTS)}; "
                    f"use one of {', '.join('.' + p for p in PLACEMENTS)}",
                    Code.UNKNOWN_PLACEMENT,
                )
        width = None
        if "width" in attrs:
            match = re.fullmatch(r"(\d{1,3})%", attrs["width"].strip())
            if match and 10 <= int(match.group(1)) <= 100:
                width = int(match.group(1))
            else:
                self.error(
                    paragraph,
                    f"width '{attrs['width']}' is not understood; write a percentage "
                    "of the column between 10% and 100%, e.g. width=50%",
                    Code.BAD_WIDTH,
                )
        height = None
        if "height" in attrs:
            match = re.fullmatch(r"(\d{2,3})\s*mm", attrs["height"].strip())
            if placement != "full-width":
                self.error(paragraph, f"height '{attrs['height']}' is only for a photo across both columns; add "
                           ".full-width, or leave the height out (a photo in a column keeps its shape)",
                           Code.BAD_HEIGHT)
            else:
                # Real millimetres on every page size; at most the type area, less a caption's two lines.
                captioned = bool(image.children) or bool(attrs.get("credit", "").strip())
                highest = int(self.type_area_height() - (CAPTION_ROOM_MM if captioned else 0))
                if match and 30 <= int(match.group(1)) <= highest:
                    height = int(match.group(1))
                elif match and int(match.group(1)) > highest:
                    height = highest
                    self.warning(paragraph, f"height '{attrs['height']}' is more than the type area of this page "
                                 f"holds{' with the caption' if captioned else ''}; the photo is printed "
                                 f"{highest}mm high, the most that fits: write height={highest}mm or less",
                                 Code.HEIGHT_CLAMPED)
                else:
                    self.error(paragraph, f"height '{attrs['height']}' is not understood; write a height in mm from "
                               f"30mm to {highest}mm (the most the type area of this page holds"
                               f"{' with the caption' if captioned else ''}), e.g. height=110mm", Code.BAD_HEIGHT)
        src = unquote(src)  # markdown-it percent-encodes the address: 'één.jpg' arrives as '%C3%A9%C3%A9n.jpg'
        path, problem = resolve_local_file(src, self.project.content_dir, self.project.root)
        if problem:
            self.error(paragraph, f"photo {problem}", Code.PHOTO)
        caption = _MD.renderer.renderInline(image.children or [], _MD.options, self.env).strip()
        figure = Figure(
            src=src,
            path=path,
            placement=placement,
            caption=caption,
            alt=attrs.get("fig-alt", "").strip(),
            credit=attrs.get("credit", "").strip(),
            width_percent=width,
            height_mm=height,
            source=self.article.display_path,
            line=self.line(paragraph),
        )
        self.figures.append(figure)
        url = self.image_url(figure) if (self.image_url and path) else ""
        style = f' style="width: {width}%"' if width else ""
        img_style = f' style="height: {height}mm"' if height else ""
        language = self.project.config.language if self.project.config else SOURCE_LANGUAGE
        credit = words_for(language)("Photo: {credit}", credit=escapeHtml(figure.credit)) if figure.credit else ""
        credit = f'<span class="credit">{credit}</span>' if credit else ""
        caption_html = f'<span class="caption-text">{caption}</span>' if caption else ""
        figcaption = f"<figcaption>{caption_html}{credit}</figcaption>" if (caption or credit) else ""
        return (
            f'<figure class="photo {placement}" data-line="{figure.line}"{style}>'
            f'<img src="{escapeHtml(url)}" alt="{escapeHtml(figure.alt)}"{img_style}>{figcaption}</figure>\n'
        )


def _nesting(children) -> int:
    """How deep bold, italic and links nest; WeasyPrint recurses once per level."""
    depth = deepest = 0
    for child in children:
        depth += child.nesting
        deepest = max(deepest, depth)
    return deepest


def _only_image(inline: Token) -> bool:
    children = [c for c in inline.children or () if not (c.type == "text" and not c.content.strip())]
    return len(children) == 1 and children[0].type == "image"


LEFT_AS_TEXT = (
    (re.compile(r"^\s*:{3,}.*|:{3,}"), "a block's fence must stand on a line of its own, with an empty line "
     "before it, as '::: {.pullquote}' ... ':::'; a ':::' without a block to close is left over"),
    (re.compile(r"\[\^[^\]]*\]"), "a footnote needs its text on a line of its own, e.g. '[^1]: The note.', "
     "and the same label where it is called"),
    (re.compile(r"\^\["), "an inline footnote is written ^[the note] with its closing ']'"),
    (re.compile(r"\]\{|\{[#.][^}]*\}?"), "attributes in curly brackets belong right after a heading, an "
     "image or '[text]', e.g. '[words]{.smallcaps}', and must be readable ('{.name}', '{#id}', 'key=value')"),
    (re.compile(r"^\|\s"), "a line block needs every line to start with '| '"),
    (re.compile(r"^(?:\(@\)|#\.|[a-z]\.|[ivx]+\.)\s"), "lettered, roman and example lists are not supported; "
     "number the items '1.', '2.', '3.' or use '-'"),
    (re.compile(r"^\[[ xX]\]\s"), "task lists (checkboxes) are not supported; write the item without '[ ]'"),
    (re.compile(r"^[-+=: ]{6,}$|^\+[-=+]{3,}"), "only pipe tables are supported ('| a | b |' with a line "
     "'|---|---|' below the header); write the table with pipes"),
    (re.compile(r"^[Tt]able:\s"), "a table caption is written ': caption' in a paragraph of its own, "
     "directly below or above a pipe table"),
    (re.compile(r"~~"), "strikeout is written ~~text~~ within one paragraph"),
)


def _table_captions(tokens: list[Token]) -> None:
    """Pipe-table captions: a paragraph ': caption' (or 'Table: caption', as Pandoc also reads it)
    just above or below a table."""
    for index, token in enumerate(tokens):
        if token.type != "table_open":
            continue
        close = next(i for i in range(index, len(tokens)) if tokens[i].type == "table_close")
        for start in (close + 1, index - 3):
            if 0 <= start and start + 2 < len(tokens) and tokens[start].type == "paragraph_open" \
                    and not tokens[start].meta.get("caption_of_table"):
                inline = tokens[start + 1]
                match = re.match(r"(?::|[Tt]able:)\s+", inline.content)
                if inline.type == "inline" and match and inline.children:
                    first = inline.children[0]
                    if first.type == "text" and first.content.startswith(match.group().rstrip()):
                        first.content = first.content[len(match.group().rstrip()):].lstrip()
                    token.meta["caption"] = inline
                    tokens[start].meta["caption_of_table"] = True
                    break


def _classes(value: str) -> list[str]:
    return [name for name in str(value).split() if name]


def _suggest(name: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return f" (did you mean '.{close[0]}'?)" if close else ""


def render_article(
    article: ArticleSource, project: Project, image_url: Callable[[Figure], str] | None = None,
    language: str | None = None,
) -> tuple[RenderedArticle, list[Problem]]:
    """Render one article's Markdown body. Without `image_url`, photos are only checked."""
    renderer = _Renderer(article, project, image_url)
    language = language or getattr(project.config, "language", None) or "en"
    html = renderer.render(_parser(language).parse(article.body, renderer.env))
    rendered = RenderedArticle(article, html, tuple(renderer.figures), tuple(renderer.anchors),
                               tuple(renderer.internal_links))
    return rendered, renderer.issues


def markdown_to_html(text: str, language: str = "en", base: Path | None = None) -> tuple[str, list[Problem]]:
    """One article body (Markdown, without front matter) as an HTML fragment, with its problems,
    without a project. Photos are looked up relative to `base` (default: the current folder) and
    must stay inside it; `language` is the text's language (BCP 47, e.g. 'nl')."""
    folder = (base or Path.cwd()).resolve()
    name = "<markdown>"
    article = ArticleSource(folder / name, name, FrontMatter(title=""), text, 1)
    # Rendering needs only the project's folders; the content loader checks articles the same way
    # before publication.yml is valid.
    project = Project(folder, folder, None, "", (article,))  # type: ignore[arg-type]
    rendered, problems = render_article(article, project, language=language)
    return rendered.html, problems + check_link_targets([rendered])
