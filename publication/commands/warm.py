"""Warm, incremental rebuilds for a long-running process: the live preview, the benchmark.

The API is small:

    warm = WarmBuilder()
    rendition = warm.render(project, theme, layout)   # drop-in for build.render
    result = warm.build(root, BuildOptions(...))      # drop-in for build.build
    warm.last                                         # RenderStats of the latest layout

One WarmBuilder serves one build at a time (the preview's builder thread); it is not
thread-safe. Between builds it keeps:

- WeasyPrint imported, one FontConfiguration of the project's fonts only (each @font-face is registered with
  fontconfig once) and WeasyPrint's image cache;
- for each (project, RenderSpec), the last laid-out Document and the HTML it came from.

Incremental layout: every article starts on a new page (`break-before: page`), so the
pages before an article do not depend on it. When the HTML before the first changed
article (head, CSS, cover, earlier articles) is unchanged, those pages are reused as
they are and WeasyPrint lays out only the HTML from that article on, continuing at the
same page number and on the same side (left or right). When that article is the only
change and keeps its page count, only its own pages are laid out: the pages after it
are reused too, page numbers and sides being the same. The running head must be set by
each article itself (`string-set` on its title, as the built-in layouts do). Everything
else falls back to a full layout, still warm:

- a file WeasyPrint loaded (stylesheet, font, logo) changed on disk: the warm state is
  dropped altogether, fonts included;
- the CSS uses counters other than the page number (`counter(pages)`, figure numbers),
  refers to other pages (`target-counter()`, `target-text()`), or styles `@page :first`
  or `:nth()` pages: a continued layout would see those differently (footnotes are numbered
  per article, so that their counter, reset by each article, continues exactly);
- the previous layout had warnings, which cannot be told apart per article.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint

from ..config.theme import Theme
from ..content.sources import Project
from ..render.rendition import Rendition, render
from ..render.spec import RenderSpec
from ..render.typeset import ConfinedFetcher, Typeset, font_cache, typeset
from ..render.weasy import project_font_configuration
from .build import BuildOptions, BuildResult, build

_ARTICLE_START = re.compile(r'^<article class="article\b[^"]*" id="([^"]+)"', re.MULTILINE)
_BODY_START = re.compile(r"<body\b[^>]*>")
_HEAD_END = "</head>"
# A continued layout starts these afresh or sees them differently: counters other than the
# page number, references to other pages, and rules for the first or the n-th page.
# The footnote counter, reset by each article, starts afresh exactly where a continued layout starts.
_NOT_CONTINUABLE = re.compile(r"counters?\(\s*(?!page\s*[,)])|counter-(reset|increment|set)\s*:(?!\s*footnote\s*[;}])|"
                              r"target-counters?\(|target-text\(|@page[^{]*:(first|nth)\b")


@dataclass(frozen=True)
class RenderStats:
    """How one layout was made: "full", "incremental" or "unchanged" (nothing laid out)."""

    mode: str
    pages_laid_out: int
    pages_reused: int
    seconds: float
    first_changed: str | None = None
    """The id of the article from which the layout was redone, for an incremental one."""


@dataclass(frozen=True)
class _Segments:
    """The HTML cut where each article starts: `head` is everything before the first one."""

    head: str
    articles: tuple[tuple[str, str], ...]  # (article id, its HTML up to the next article)

    @classmethod
    def of(cls, html: str) -> _Segments:
        starts = list(_ARTICLE_START.finditer(html))
        cuts = [match.start() for match in starts] + [len(html)]
        head = html[:cuts[0]]
        return cls(head, tuple((match.group(1), html[match.start():end]) for match, end in zip(starts, cuts[1:])))

    def first_difference(self, other: _Segments) -> int | None:
        """Index of the first article that differs, len(articles) if none, None if the head does."""
        if self.head != other.head or [i for i, _ in self.articles] != [i for i, _ in other.articles]:
            return None
        return next((index for index, (mine, theirs) in enumerate(zip(self.articles, other.articles))
                     if mine != theirs), len(self.articles))


@dataclass(frozen=True)
class _Laid:
    """A layout that a later one may continue: its HTML cut into segments and its pages."""

    segments: _Segments
    document: weasyprint.document.Document

    def first_page_of(self, article_id: str) -> int | None:
        return next((index for index, page in enumerate(self.document.pages) if article_id in page.anchors), None)


class _RecordingFetcher(ConfinedFetcher):
    """Notes every local file WeasyPrint loads, so that a change to one is noticed."""

    def __init__(self, allowed_roots: list[Path], loaded: dict[Path, tuple[int, int]]):
        super().__init__(allowed_roots, font_cache(allowed_roots[0]))
        self.loaded = loaded

    def fetch(self, url, headers=None):
        response = super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(url2pathname(unquote(parts.path)))
            self.loaded[path] = _stamp(path)
        return response


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (-1, -1)
    return (status.st_mtime_ns, status.st_size)


def _continuation(segments: _Segments, first: int, stop: int | None, page_index: int) -> str:
    """The HTML of articles first..stop-1 (to the end if stop is None), continuing after `page_index` pages."""
    body = _BODY_START.search(segments.head)
    page_number = page_index + 1
    side = "right" if page_number % 2 else "left"
    style = (f"<style>html {{ break-before: {side}; }} "
             f"@page :first {{ counter-reset: page {page_number}; }}</style>\n")
    head = segments.head[:body.end()].replace(_HEAD_END, style + _HEAD_END, 1)
    return head + "\n" + "".join(text for _, text in segments.articles[first:stop])


class WarmBuilder:
    """Keeps fonts, images and the last layouts warm between builds of the same project."""

    def __init__(self) -> None:
        self._reset()
        self.history: list[RenderStats] = []

    def _reset(self) -> None:
        self._font_config = project_font_configuration()
        self._image_cache: dict = {}
        self._loaded: dict[Path, tuple[int, int]] = {}
        self._layouts: dict[tuple[Path, RenderSpec], _Laid] = {}

    @property
    def last(self) -> RenderStats | None:
        return self.history[-1] if self.history else None

    def render(self, project: Project, theme: Theme, layout: RenderSpec, strict: bool = False,
               companions: tuple[RenderSpec, ...] = (), also: tuple = ()) -> Rendition:
        """Like build.render, laying out only what changed since this builder's last render."""
        return render(project, theme, layout, strict, typesetter=partial(self._typeset, (project.root, layout)),
                      companions=companions, also=also)

    def build(self, root: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
        """Like build.build, with every RenderSpec rendered warm."""
        return build(root, options, renderer=self.render)

    def _typeset(self, key: tuple[Path, RenderSpec], html: str, base_url: Path, allowed_roots: list[Path]) -> Typeset:
        started = time.perf_counter()
        if any(_stamp(path) != stamp for path, stamp in self._loaded.items()):
            self._reset()
        segments = _Segments.of(html)
        previous = self._layouts.pop(key, None)
        lay_out = partial(self._lay_out, base_url=base_url, allowed_roots=allowed_roots)
        laid_out, stats = None, None
        if previous and not self._forward_references(segments.head):
            laid_out, stats = self._reuse(previous, segments, lay_out)
        if laid_out is None:
            laid_out = lay_out(html)
            stats = RenderStats("full", len(laid_out.document.pages), 0, 0.0)
        if not laid_out.issues:
            self._layouts[key] = _Laid(segments, laid_out.document)
        self.history.append(replace(stats, seconds=time.perf_counter() - started))
        return laid_out

    @staticmethod
    def _reuse(previous: _Laid, segments: _Segments, lay_out) -> tuple[Typeset | None, RenderStats | None]:
        """Pages from `previous` and new ones for the changed articles; (None, None) if a full layout is needed."""
        changed = previous.segments.first_difference(segments)
        if changed is None:
            return None, None
        old_pages = previous.document.pages
        if changed == len(segments.articles):
            return Typeset(previous.document, ()), RenderStats("unchanged", 0, len(old_pages), 0.0)
        ids = [article_id for article_id, _ in segments.articles]
        start = previous.first_page_of(ids[changed])
        if start is None:
            return None, None
        following = changed + 1
        if following < len(ids) and segments.articles[following:] == previous.segments.articles[following:]:
            # Only this article changed: if it keeps its page count, the pages after it stay as they were.
            article = lay_out(_continuation(segments, changed, following, start))
            end = previous.first_page_of(ids[following])
            new_pages = article.document.pages
            if end is not None and len(new_pages) == end - start:
                pages = old_pages[:start] + new_pages + old_pages[end:]
                return (Typeset(article.document.copy(pages), article.issues),
                        RenderStats("incremental", len(new_pages), len(pages) - len(new_pages), 0.0, ids[changed]))
            rest = lay_out(_continuation(segments, following, None, start + len(new_pages)))
            new_pages = new_pages + rest.document.pages
            issues = article.issues + rest.issues
        else:
            rest = lay_out(_continuation(segments, changed, None, start))
            new_pages, issues = rest.document.pages, rest.issues
        pages = old_pages[:start] + new_pages
        return (Typeset(rest.document.copy(pages), issues),
                RenderStats("incremental", len(new_pages), start, 0.0, ids[changed]))

    def _lay_out(self, html: str, *, base_url: Path, allowed_roots: list[Path]) -> Typeset:
        fetcher = _RecordingFetcher(allowed_roots, self._loaded)
        return typeset(html, base_url, allowed_roots, fetcher=fetcher, font_config=self._font_config,
                       cache=self._image_cache)

    def _forward_references(self, head: str) -> bool:
        """Whether the CSS could make earlier pages depend on later ones."""
        stylesheets = [path.read_text(errors="replace") for path in self._loaded if path.suffix == ".css"]
        return any(_NOT_CONTINUABLE.search(text) for text in [head, *stylesheets])


__all__ = ["RenderStats", "WarmBuilder"]
