"""Stage 2: Markdown articles to HTML fragments, with figures, pull quotes and boxes.

CommonMark via markdown-it-py, plus the Pandoc/Quarto conventions people know:
fenced divs (`::: {.pullquote}`), block attributes (`{.lead}`) and image attributes
(`{fig-alt="..." credit="..." .full-width}`). Raw HTML is never passed through: it is
escaped and shows up as text, so content can never inject markup or scripts.
"""

from __future__ import annotations

import difflib
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
from mdit_py_plugins.container import container_plugin

from ..config.models import FrontMatter
from ..core.files import resolve_local_file
from ..core.i18n import SOURCE_LANGUAGE, words_for
from ..core.problems import Code, Problem, error, warning
from .sources import ArticleSource, Project

PLACEMENTS = ("inline", "full-width", "full-bleed")
BLOCKS = ("pullquote", "box")
BLOCK_MODIFIERS = {"box": ("page",)}  # .page: the box fills a page of its own
# The element inside each block's <aside> that gives it its meaning in a tagged PDF (PDF/UA-1
# is PDF 1.7, which has no Aside): a pull quote quotes someone, a box is a section of its own.
INNER_ELEMENTS = {"pullquote": "blockquote", "box": "section"}
PARAGRAPH_CLASSES = ("lead",)
IMAGE_ATTRIBUTES = ("class", "id", "fig-alt", "credit", "width")
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


@dataclass(frozen=True)
class RenderedArticle:
    source: ArticleSource
    html: str
    figures: tuple[Figure, ...]


def _is_fenced_div(params: str, *_: object) -> bool:
    return params.strip().startswith("{")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": "“”‘’"})
    md.enable(["replacements", "smartquotes", "table"])
    # markdown-it silently turns a refused link into plain text; let every address through so
    # that the renderer can say what is wrong with it (see _Renderer.check_link and resolve_local_file).
    md.validateLink = lambda url: True
    md.use(container_plugin, name="div", validate=_is_fenced_div)
    md.use(attrs_plugin, allowed=IMAGE_ATTRIBUTES)
    md.use(attrs_block_plugin, allowed=("class",))
    return md


LONG_WORD = re.compile(r"\S{%d,}" % 60)


def _text(_renderer: object, tokens: list[Token], index: int, *_: object) -> str:
    """Escaped text; a run without spaces longer than any real word is marked so that it breaks anywhere."""
    return LONG_WORD.sub(lambda run: f'<span class="unbroken">{run.group()}</span>', escapeHtml(tokens[index].content))


_MD = _parser()
_MD.add_render_rule("text", _text)
_SPACED_HYPHEN = re.compile(r"(?<=\w) - (?=\w)")


def _dashes(state) -> None:
    """A hyphen between spaces is a dash in Dutch (and English) typesetting: use an en dash."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text":
                child.content = _SPACED_HYPHEN.sub(" – ", child.content)


_MD.core.ruler.push("spaced_dashes", _dashes)


class _Renderer:
    """Walks markdown-it tokens; collects figures and issues while writing HTML."""

    def __init__(self, article: ArticleSource, project: Project, image_url: Callable[[Figure], str] | None):
        self.article = article
        self.project = project
        self.image_url = image_url
        self.issues: list[Problem] = []
        self.figures: list[Figure] = []
        self.open_blocks: list[dict[str, str]] = []

    def line(self, token: Token) -> int:
        return self.article.body_line + (token.map[0] if token.map else 0)

    def error(self, token: Token, message: str, code: str) -> None:
        self.issues.append(error(self.article.display_path, self.line(token), message, code))

    def render(self, tokens: list[Token]) -> str:
        out: list[str] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if (token.type == "paragraph_open" and index + 2 < len(tokens)
                    and tokens[index + 1].type == "inline" and _only_image(tokens[index + 1])):
                out.append(self.figure(token, tokens[index + 1].children[0]))
                index += 3
                continue
            out.append(self.block(token))
            index += 1
        return "".join(out)

    def block(self, token: Token) -> str:
        kind = token.type
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
            level = min(max(level, 2), 4)
            return f'<h{level} data-line="{self.line(token)}">'
        if kind == "heading_close":
            level = min(max(int(token.tag[1]), 2), 4)
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
            cls = f' class="{" ".join(c for c in classes if c in PARAGRAPH_CLASSES)}"' if classes else ""
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
            for child in token.children or ():
                if child.type == "link_open":
                    self.check_link(token, child)
                if child.type == "image":
                    self.error(
                        token,
                        "a photo must stand in a paragraph of its own, with an empty line before and after it",
                        Code.INLINE_IMAGE,
                    )
                    child.type = "text"
                    child.content = ""
            return _MD.renderer.renderInline(token.children or [], _MD.options, {})
        if kind in ("html_block", "html_inline"):
            return f"<p>{escapeHtml(token.content)}</p>"
        if kind in ("fence", "code_block"):
            return f"<pre>{escapeHtml(token.content)}</pre>\n"
        return _MD.renderer.render([token], _MD.options, {})

    def check_link(self, token: Token, link: Token) -> None:
        href = str(link.attrs.get("href", ""))
        scheme = urlsplit(href).scheme.lower()
        if scheme not in LINK_SCHEMES and not href.startswith("#"):
            self.error(
                token,
                f"link '{href}' cannot be used in a PDF; link to a web address "
                "(https://...) or an e-mail address (mailto:...)",
                Code.BAD_LINK,
            )
            link.attrs["href"] = ""

    def open_div(self, token: Token) -> str:
        info = token.info.strip()
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
        kind = next((c for c in classes if c in BLOCKS), None)
        if kind is None:
            name = classes[0] if classes else info
            self.error(
                token,
                f"unknown block '{name}'{_suggest(name.lstrip('.'), BLOCKS)}; "
                f"blocks are: {', '.join('.' + b for b in BLOCKS)}",
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
            if name != kind and name not in modifiers and kind in BLOCKS:
                allowed = BLOCK_MODIFIERS.get(kind, ())
                hint = f"; a .{kind} can take {', '.join('.' + m for m in allowed)}" if allowed else ""
                self.error(token, f"unknown style '.{name}' on the .{kind}{hint}", Code.UNKNOWN_CLASS)
        tag = "aside" if kind in BLOCKS else "div"
        inner = INNER_ELEMENTS.get(kind, "")
        kind = " ".join([kind, *modifiers])
        self.open_blocks.append({"_tag": tag, "_inner": inner, "by": attrs.get("by", "")})
        return f'<{tag} class="{kind}" data-line="{self.line(token)}">' + (f"<{inner}>" if inner else "")

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
        src = unquote(src)  # markdown-it percent-encodes the address: 'één.jpg' arrives as '%C3%A9%C3%A9n.jpg'
        path, problem = resolve_local_file(src, self.project.content_dir, self.project.root)
        if problem:
            self.error(paragraph, f"photo {problem}", Code.PHOTO)
        caption = _MD.renderer.renderInline(image.children or [], _MD.options, {}).strip()
        figure = Figure(
            src=src,
            path=path,
            placement=placement,
            caption=caption,
            alt=attrs.get("fig-alt", "").strip(),
            credit=attrs.get("credit", "").strip(),
            width_percent=width,
            source=self.article.display_path,
            line=self.line(paragraph),
        )
        self.figures.append(figure)
        url = self.image_url(figure) if (self.image_url and path) else ""
        style = f' style="width: {width}%"' if width else ""
        language = self.project.config.language if self.project.config else SOURCE_LANGUAGE
        credit = words_for(language)("Photo: {credit}", credit=escapeHtml(figure.credit)) if figure.credit else ""
        credit = f'<span class="credit">{credit}</span>' if credit else ""
        caption_html = f'<span class="caption-text">{caption}</span>' if caption else ""
        figcaption = f"<figcaption>{caption_html}{credit}</figcaption>" if (caption or credit) else ""
        return (
            f'<figure class="photo {placement}" data-line="{figure.line}"{style}>'
            f'<img src="{escapeHtml(url)}" alt="{escapeHtml(figure.alt)}">{figcaption}</figure>\n'
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


def _classes(value: str) -> list[str]:
    return [name for name in str(value).split() if name]


def _suggest(name: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return f" (did you mean '.{close[0]}'?)" if close else ""


def render_article(
    article: ArticleSource, project: Project, image_url: Callable[[Figure], str] | None = None
) -> tuple[RenderedArticle, list[Problem]]:
    """Render one article's Markdown body. Without `image_url`, photos are only checked."""
    renderer = _Renderer(article, project, image_url)
    html = renderer.render(_MD.parse(article.body))
    return RenderedArticle(article, html, tuple(renderer.figures)), renderer.issues


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
    rendered, problems = render_article(article, project)
    return rendered.html, problems
