"""Proofs: the standard brochure marked as a draft, so a reviewer always knows what they hold.

A proof shares the standard target's render (same RenderSpec), so it costs no extra layout.
Its marks (a diagonal watermark, a stamp with version, build time and "page x of y", the
source file of each page, and line numbers per column) are an overlay laid out from the
positions of the rendition's line boxes and drawn as a removable PDF layer (overlay.py).

The proof is the one output that carries the clock: it says when it was made. Every other
output stays deterministic. SOURCE_DATE_EPOCH pins the clock, as for reproducible builds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pikepdf
from babel.dates import format_datetime

from ..config.models import Publication
from ..content.sources import Project
from ..core.builtin import BUILTIN_ASSETS, BUILTIN_LAYOUTS
from ..core.dist import Output
from ..core.i18n import Words, words_for
from ..core.reproducible import pdf_date, save_reproducibly, source_dates
from ..core.units import PX_PER_MM, PX_PER_PT
from ..render.overlay import Sheet, apply_marks, as_outlines, render_sheets, text
from ..render.rendition import Rendition
from ..render.weasy import boxes, page_box
from .edition import Edition

STAMP_TOP = 5.5  # mm from the top edge: in the top margin, above every layout's text area
NARROW_PAGE = 180  # mm; A5 and smaller
LINE_NUMBER_WIDTH, LINE_NUMBER_GAP = 8, 2.5  # mm: the box of a line number, and its distance from the column
LINE_NUMBER_RISE = 5.6  # px from the top of a 5.5pt number to its baseline, to sit on the line it counts
LAYER_NAME = "Proof marks"


# ---- Version and clock -----------------------------------------------------------------

@dataclass(frozen=True)
class Version:
    label: str
    """Short and file-name safe: a git commit (plus '-dirty-' and a hash of the sources) or a hash."""


def _source_files(project: Project) -> Iterator[tuple[str, Path]]:
    """Every file that can change the brochure, with a name independent of where the project lives."""
    roots = {"content": project.content_dir, "layouts": project.root / "layouts", "assets": project.root / "assets",
             "builtin-layouts": BUILTIN_LAYOUTS, "builtin-assets": BUILTIN_ASSETS}
    seen: set[Path] = set()
    for label, root in roots.items():
        if not root.is_dir() or root.resolve() in seen:
            continue
        seen.add(root.resolve())
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                yield f"{label}/{relative.as_posix()}", path


def sources_digest(project: Project) -> str:
    digest = hashlib.sha256()
    for name, path in _source_files(project):
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _git(project: Project, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(project.content_dir), *args], capture_output=True, text=True,
                              timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def content_version(project: Project) -> Version:
    """The content's git commit, marked dirty when its sources differ from it; else a hash of the sources."""
    digest = sources_digest(project)
    commit = _git(project, "rev-parse", "--short=10", "HEAD")
    if commit is None:
        return Version(digest[:10])
    paths = [str(p) for p in (project.content_dir, project.root / "layouts", project.root / "assets") if p.is_dir()]
    changes = _git(project, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    if changes:
        # A dirty proof also names its sources, so two proofs of different unsaved edits differ.
        return Version(f"{commit}-dirty-{digest[:6]}")
    return Version(commit)


def build_time(config: Publication) -> dt.datetime:
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return source_dates(config)[1]  # checked there, and pinned as for every other output
    return dt.datetime.now().astimezone()


# ---- What is on each page --------------------------------------------------------------

@dataclass(frozen=True)
class NumberedLine:
    number: int
    """Counted down the left column and on into the next, so each number is one line of its page."""
    x: float
    """Where the number stands against: the left edge of the text area (numbers before it) or, for
    the right-hand column of a two-column page, its right edge (numbers after it), px."""
    baseline: float  # px from the top of the page
    before: bool = True
    """Whether the number stands in the margin left of the text (else right of it)."""
    box: tuple[float, float, float, float] = (0, 0, 0, 0)
    """The printed line: left, top, right, bottom in px from the top left of the page."""
    source: str | None = None
    source_line: int | None = None
    """The Markdown file and the line of the block the printed line belongs to, where known."""
    text: str = ""


@dataclass(frozen=True)
class SourceSpan:
    path: str
    first_line: int
    last_line: int

    def __str__(self) -> str:
        if not self.first_line:
            return self.path  # the settings file: the cover and the colofon come from it as a whole
        lines = f"{self.first_line}" if self.first_line == self.last_line else f"{self.first_line}–{self.last_line}"
        return f"{self.path}:{lines}"


@dataclass(frozen=True)
class PageContent:
    width: float
    height: float
    lines: tuple[NumberedLine, ...]
    sources: tuple[SourceSpan, ...]


def _text_lines(box, source: str | None, line: int | None) -> Iterator[tuple[boxes.LineBox, str | None, int | None]]:
    """Line boxes that hold text, outside the page margins (running heads, folios), with the article
    source and the Markdown line of the block around them."""
    if isinstance(box, boxes.MarginBox):
        return
    element = getattr(box, "element", None)
    if element is not None and hasattr(element, "get"):
        source = element.get("data-source") or source
        found = element.get("data-line")
        line = int(found) if found and found.isdigit() else line
    if isinstance(box, boxes.LineBox):
        if any(isinstance(child, boxes.TextBox) and child.text.strip() for child in box.descendants()):
            yield box, source, line
        return
    for child in getattr(box, "children", ()):
        yield from _text_lines(child, source, line)


def _line_text(line: boxes.LineBox) -> str:
    return "".join(child.text for child in line.descendants() if isinstance(child, boxes.TextBox)).strip()


def page_contents(rendition: Rendition, settings_source: str) -> list[PageContent]:
    """What each page holds: its text lines, numbered once per page, and the source lines they come
    from; text that comes from no article (cover, colofon) comes from `settings_source`."""
    columns = rendition.geometry.columns
    pages = []
    for page in rendition.document.pages:
        laid_out = page_box(page)
        left, width = laid_out.content_box_x(), laid_out.width
        column_width = width / columns
        lines: dict[tuple[int, float], dict] = {}
        spans: dict[str, list[int]] = {}
        for line, source, markdown_line in _text_lines(laid_out, None, None):
            column = min(max(int((line.position_x - left + 1) // column_width), 0), columns - 1)
            key = (column, round(line.position_y + line.baseline, 2))
            found = lines.setdefault(key, {"box": [line.position_x, line.position_y, line.position_x + line.width,
                                                    line.position_y + line.height],
                                           "source": source, "line": markdown_line, "text": []})
            box = found["box"]
            found["box"] = [min(box[0], line.position_x), min(box[1], line.position_y),
                            max(box[2], line.position_x + line.width), max(box[3], line.position_y + line.height)]
            found["text"].append(_line_text(line))
            if source is not None and markdown_line is not None:
                spans.setdefault(source, []).append(markdown_line)
            else:  # the cover and colofon come from the settings; an article's title has no Markdown line
                spans.setdefault(source or settings_source, [])
        # On a page whose text area starts at the trim (the cover), the numbers go beside the text itself.
        starts = [found["box"][0] for (column, _), found in lines.items() if column == 0]
        text_left = max(left, min(starts, default=left))
        numbered = []
        for number, ((column, baseline), found) in enumerate(sorted(lines.items()), 1):
            right_hand = columns > 1 and column == columns - 1
            numbered.append(NumberedLine(number, left + width if right_hand else text_left, baseline, not right_hand,
                                         tuple(found["box"]), found["source"] or settings_source, found["line"],
                                         " ".join(part for part in found["text"] if part)))
        sources = tuple(SourceSpan(path, min(found), max(found)) if found else SourceSpan(path, 0, 0)
                        for path, found in spans.items())
        pages.append(PageContent(page.width, page.height, tuple(numbered), sources))
    return pages


def line_map(contents: list[PageContent], project: Project) -> bytes:
    """The proof's own map of printed lines to source lines, in PDF points from the bottom left as
    annotations give their places, with a digest of each source file: `publication comments` reads
    it to tie a reviewer's comment to its line, even after the sources moved on."""
    digests = {}
    for name in {line.source for content in contents for line in content.lines} | {project.config_display_path}:
        path = project.root / name
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    pages = []
    for number, content in enumerate(contents, 1):
        height = content.height / PX_PER_PT
        pages.append({"page": number, "lines": [
            {"number": line.number, "left": round(line.box[0] / PX_PER_PT, 2),
             "bottom": round(height - line.box[3] / PX_PER_PT, 2), "right": round(line.box[2] / PX_PER_PT, 2),
             "top": round(height - line.box[1] / PX_PER_PT, 2), "source": line.source,
             "line": line.source_line, "text": line.text} for line in content.lines]})
    return json.dumps({"version": 1, "sources": dict(sorted(digests.items())), "pages": pages},
                      ensure_ascii=False, sort_keys=True).encode()


LINE_MAP_KEY = "/PublicationLineMap"
"""Where in the proof's catalog its line map is kept (a private key, as PDF allows)."""


# ---- The marks -------------------------------------------------------------------------

MARKS_CSS = """
.watermark { text-align: center; font-weight: 700; line-height: 1; white-space: nowrap;
             color: rgba(200, 30, 40, 0.09); letter-spacing: 0.04em; }
.watermark.on-dark { color: rgba(255, 255, 255, 0.16); }
.stamp { font-size: 6.5pt; line-height: 1.3; white-space: nowrap; color: #5a1014;
         background: rgba(255, 255, 255, 0.88); padding: 0.6mm 1.6mm; border-radius: 1mm; }
.stamp b { font-weight: 700; color: #b01e28; letter-spacing: 0.05em; }
.stamp-source { color: #333; }
.line-number { font-size: 5.5pt; line-height: 1; color: #8a8f98; }
.line-number.before { text-align: right; }
.line-number.after { text-align: left; }
"""


@dataclass(frozen=True)
class Stamp:
    watermark: str
    version: Version
    made: dt.datetime
    language: str
    line_numbers: bool

    @property
    def words(self) -> Words:
        return words_for(self.language)

    def line(self, number: int, total: int) -> str:
        _ = self.words
        made = f"{format_datetime(self.made, 'short', locale=_.locale)} {self.made.strftime('%Z')}".strip()
        return (f"<b>{text(self.watermark)}</b> · {text(_('version'))} {text(self.version.label)} · "
                f"{text(_('made'))} {text(made)} · {text(_('page {x} of {y}', x=number, y=total))}")


def _sheet(content: PageContent, number: int, total: int, stamp: Stamp, margin: float) -> Sheet:
    w, h = content.width, content.height
    diagonal = math.hypot(w, h)
    size = min(0.7 * diagonal / (0.62 * max(len(stamp.watermark), 1)), 0.2 * diagonal)
    angle = -math.degrees(math.atan2(h, w))
    # On a narrow page the source would run into the stamp, so it goes on a line of its own below it.
    stamp_top, source_top = (STAMP_TOP, STAMP_TOP) if w > NARROW_PAGE * PX_PER_MM else (STAMP_TOP - 2, STAMP_TOP + 2)
    # The same word twice: red shows on paper, white on dark colours and photos, where red vanishes.
    parts = [f'<p class="watermark {kind}" style="left: {(w - diagonal) / 2:.2f}px; width: {diagonal:.2f}px; '
             f'top: {(h - size) / 2:.2f}px; font-size: {size:.1f}px; transform: rotate({angle:.2f}deg)">'
             f'{text(stamp.watermark)}</p>' for kind in ("on-dark", "on-light")]
    parts.append(f'<p class="stamp" style="right: {margin:.2f}px; top: {stamp_top * PX_PER_MM:.2f}px">'
                 f'{stamp.line(number, total)}</p>')
    if content.sources:
        parts.append(f'<p class="stamp stamp-source" style="left: {margin:.2f}px; top: {source_top * PX_PER_MM:.2f}px">'
                     f'{text(" · ".join(str(span) for span in content.sources))}</p>')
    if stamp.line_numbers:
        for line in content.lines:
            if line.before:
                side, left = "before", line.x - (LINE_NUMBER_WIDTH + LINE_NUMBER_GAP) * PX_PER_MM
            else:
                side, left = "after", line.x + LINE_NUMBER_GAP * PX_PER_MM
            parts.append(f'<p class="line-number {side}" style="left: {left:.2f}px; width: {LINE_NUMBER_WIDTH}mm; '
                         f'top: {line.baseline - LINE_NUMBER_RISE:.2f}px">{line.number}</p>')
    return Sheet(w, h, "\n".join(parts))


def _bookmark_sources(pdf: pikepdf.Pdf, contents: list[PageContent], heading: str) -> None:
    first_pages: dict[str, int] = {}
    for index, content in enumerate(contents):
        for span in content.sources:
            if span.first_line:  # articles; the settings file, for the cover and colofon, is no chapter
                first_pages.setdefault(span.path, index)
    if not first_pages:
        return
    with pdf.open_outline() as outline:
        group = pikepdf.OutlineItem(heading, next(iter(first_pages.values())))
        group.children.extend(pikepdf.OutlineItem(path, index) for path, index in first_pages.items())
        outline.root.append(group)


def proof_name(project: Project, version: Version) -> str:
    return PROOF.output_name(project.slug).replace("<version>", version.label)


def finish_proof(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    settings = project.config.proof
    version = content_version(project)
    watermark = settings.watermark or words_for(project.config.language)("DRAFT")
    stamp = Stamp(watermark, version, build_time(project.config), project.config.language, settings.line_numbers)
    contents = page_contents(rendition, project.config_display_path)
    margin = rendition.geometry.margin_outer * PX_PER_MM
    sheets = [_sheet(content, index + 1, len(contents), stamp, margin) for index, content in enumerate(contents)]
    marks = as_outlines(render_sheets(sheets, MARKS_CSS))

    pdf = pikepdf.open(io.BytesIO(rendition.plain_pdf))  # the same bytes as the standard PDF, written once
    apply_marks(pdf, marks, {index: index for index in range(len(contents))}, LAYER_NAME)
    _bookmark_sources(pdf, contents, stamp.words("Source files"))
    pdf.Root[LINE_MAP_KEY] = pdf.make_stream(line_map(contents, project))
    pdf.docinfo["/Title"] = f"{project.config.title} ({stamp.words('proof')} {version.label})"
    pdf.docinfo["/ModDate"] = pdf_date(stamp.made)
    # The stamp is drawn in outlines, out of the text layer; the file still says what it is.
    pdf.docinfo["/PublicationProof"] = re.sub(r"<[^>]+>", "", stamp.line(1, len(contents))).rsplit(" · ", 1)[0]
    return [Output(proof_name(project, version), save_reproducibly(pdf), edition.purpose)]


# The version is only known from the content, so the name keeps a placeholder until the proof is finished.
PROOF = Edition(
    "proof", "{slug}-proof-<version>.pdf", "a proof for reviewers: watermark, version stamp, line numbers", finish_proof
)
