"""Stage 5: WeasyPrint lays out the HTML; this module keeps it inside the project.

Only files under the allowed folders (the project and the package's own layouts and
assets) can be loaded; anything else, the network included, is refused and reported.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pikepdf
import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..core.dist import cache_folder
from ..core.files import is_inside
from ..core.problems import Code, Problem, error, raise_if_errors, warning
from ..core.reproducible import location_independent
from .fonts import FONT_SUFFIXES, with_break_hyphen
from .weasy import project_font_configuration


def font_cache(project_root: Path) -> Path:
    """Where a project's fonts are kept as the layout loads them (see fonts.with_break_hyphen)."""
    return cache_folder(project_root, "fonts")


class ConfinedFetcher(URLFetcher):
    """A URL fetcher that serves local files from the allowed folders and nothing else. Fonts are
    served with the break hyphen (fonts.with_break_hyphen), kept in `font_cache` between builds."""

    def __init__(self, allowed_roots: list[Path], font_cache: Path | None = None):
        super().__init__(allowed_protocols=("file", "data"))
        self.allowed_roots = [root.resolve() for root in allowed_roots]
        self.refused: list[str] = []
        self.font_cache = font_cache

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme == "file":
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if is_inside(path, self.allowed_roots):
                response = super().fetch(url, headers)
                if path.suffix.lower() not in FONT_SUFFIXES:
                    return response
                try:
                    data = response.read()
                finally:
                    response.close()
                return URLFetcherResponse(response.url, with_break_hyphen(data, self.font_cache), response.headers)
        self.refused.append(url)
        raise ValueError(f"refused to load '{url}': only files inside the project may be used")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collected_warnings():
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    logger.addHandler(collector)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.propagate = previous


@dataclass(frozen=True)
class Typeset:
    document: weasyprint.document.Document
    issues: tuple[Problem, ...]


def typeset(html: str, base_url: Path, allowed_roots: list[Path], fetcher: ConfinedFetcher | None = None,
            **render_options) -> Typeset:
    """Lay out the HTML. WeasyPrint's warnings and refused files become issues.

    A warm process passes its own `fetcher` and WeasyPrint's `font_config` and `cache`. The first of
    `allowed_roots` is the project's folder: the fonts are kept in its .cache/fonts/.
    """
    fetcher = fetcher or ConfinedFetcher(allowed_roots, font_cache(allowed_roots[0]))
    render_options.setdefault("font_config", project_font_configuration(fetcher.font_cache))
    with collected_warnings() as messages:
        document = weasyprint.HTML(string=html, base_url=base_url.as_uri(),
                                   url_fetcher=fetcher).render(**render_options)
    issues: list[Problem] = [
        error(
            "layouts or content",
            None,
            f"refused to load '{url}': only files inside the project "
            "can be used; copy the file into the project and refer to it there",
            Code.OUTSIDE_PROJECT,
        )
        for url in dict.fromkeys(fetcher.refused)
    ]
    refused_text = tuple(fetcher.refused)
    issues += [
        warning("weasyprint", None, message, Code.WEASYPRINT)
        for message in dict.fromkeys(messages)
        if not any(url in message for url in refused_text)
    ]
    return Typeset(document, tuple(issues))


def write_pdf(
    document: weasyprint.document.Document,
    identifier: bytes,
    object_streams: bool = True,
    finish: Callable[[pikepdf.Pdf], None] | None = None,
    **options,
) -> bytes:
    """The PDF's bytes, the same wherever the project lives (see reproducible.py). Without
    `object_streams` the file stays within PDF 1.4, as PDF/X-1a and X-3 require; `finish` is a
    target's own finishing, done to the open file before it is saved once."""
    fetcher = document.url_fetcher
    already_refused = len(getattr(fetcher, "refused", ()))
    # pikepdf compresses the streams when location_independent saves the file, at zlib's default
    # level; WeasyPrint's level 9 spends 0.3 s on the 1.5 MB press profile alone, for 0.1 % smaller.
    options.setdefault("uncompressed_pdf", True)
    with collected_warnings():
        pdf = document.write_pdf(pdf_identifier=identifier, **options)
    # Attachments (<link rel="attachment">) are only fetched now, while the PDF is written.
    refused_now = list(dict.fromkeys(getattr(fetcher, "refused", ())[already_refused:]))
    raise_if_errors(
        [
            error(
                "layouts",
                None,
                f"refused to attach '{url}': only files inside the project can be "
                "attached; copy the file into the project and refer to it there",
                Code.OUTSIDE_PROJECT,
            )
            for url in refused_now
        ]
    )
    return location_independent(pdf, identifier, object_streams, finish)
