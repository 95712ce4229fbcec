"""What changed between two builds, so that a reviewer never reads an unchanged page twice.

The text of both PDFs is read word by word (pypdfium2) and compared as ONE sequence
(difflib), so a sentence inserted on page 3 is one insertion on page 3, and the words it
pushes onto later pages are equal words that moved: those pages are reported as reflow,
not as rewritten. Each new page is then paired with the old page most of its words came
from, and both are rasterised to find visual changes (photos, colours, layout) that the
words do not show.

Page furniture (folios, running heads in the top and bottom margins) is left out of the
word sequence, because it changes whenever a page moves. A proof's marks are removed
before comparing (overlay.strip_marks), so its stamp and clock are never a change.
"""

from __future__ import annotations

import difflib
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium

from ..config.geometry import PAGE_SIZES_MM, geometry_for
from ..core.i18n import SOURCE_LANGUAGE, Words, words_for
from ..core.problems import Code, Problem, error, raise_if_errors
from ..core.raster import render_page
from ..core.reproducible import save_reproducibly
from ..core.units import PT_PER_MM, PX_PER_MM, PX_PER_PT
from ..render.images import resample
from ..render.overlay import Sheet, apply_marks, render_sheets, strip_marks, text

ENGLISH = words_for(SOURCE_LANGUAGE)
"""The words of the terminal report; the changes PDF speaks the publication's language."""

Box = tuple[float, float, float, float]
"""x0, top, x1, bottom in PDF points, measured from the top left of the page."""

RASTER_DPI = 50
CELL = 4  # raster pixels per cell when grouping changed pixels into regions
PIXEL_THRESHOLD = 40
LINE_BREAK_HYPHENS = ("\u2010", "\u00ad")
"""WeasyPrint writes U+2010 where it hyphenates a word at the end of a line."""


@dataclass(frozen=True)
class Word:
    text: str
    page: int  # 0-based
    boxes: tuple[Box, ...]

    @property
    def key(self) -> str:
        return unicodedata.normalize("NFKC", self.text).replace("\u200b", "")  # a break point in an address


@dataclass(frozen=True)
class Deletion:
    words: tuple[str, ...]
    at: Box


@dataclass(frozen=True)
class Punctuation:
    """A word whose letters stayed and whose punctuation changed (a comma added, a full stop gone)."""

    old: str
    new: Word


@dataclass(frozen=True)
class PageReport:
    number: int
    """1-based page number in the new PDF."""
    old_number: int | None
    status: str  # "changed", "reflow" or "unchanged"
    inserted: tuple[Word, ...] = ()
    deleted: tuple[Deletion, ...] = ()
    regions: tuple[Box, ...] = ()
    punctuation: tuple[Punctuation, ...] = ()

    @property
    def describe(self) -> str:
        return self.described(ENGLISH)

    def described(self, _: Words) -> str:
        """What changed on the page, in the words of `_` (the publication's language in the changes PDF)."""
        parts = []
        if self.old_number is None:
            parts.append(_("new page"))
        if self.inserted:
            parts.append(_("inserted “{words}”", words=_excerpt(w.text for w in self.inserted)))
        for deletion in self.deleted:
            parts.append(_("removed “{words}”", words=_excerpt(deletion.words)))
        for change in self.punctuation:
            parts.append(_("punctuation “{old}” → “{new}”", old=change.old, new=change.new.text))
        if self.regions:
            parts.append(_.ngettext("{n} changed area", "{n} changed areas", len(self.regions)))
        if self.status == "reflow" and not parts:
            moved = _(" (was page {number})", number=self.old_number) if self.old_number != self.number else ""
            parts.append(_("same words, moved by an earlier change") + moved)
        return "; ".join(parts)


@dataclass(frozen=True)
class Comparison:
    old_name: str
    new_name: str
    old_pages: int
    new_pages: int
    pages: tuple[PageReport, ...]
    removed: tuple[int, ...] = field(default=())
    """1-based numbers of old pages that no new page corresponds to."""

    def numbers(self, status: str) -> list[int]:
        return [page.number for page in self.pages if page.status == status]

    @property
    def no_changes(self) -> bool:
        return (all(page.status == "unchanged" for page in self.pages) and not self.removed
                and self.old_pages == self.new_pages)

    @property
    def shown(self) -> tuple[PageReport, ...]:
        """The pages a reviewer needs to look at, in order."""
        return tuple(page for page in self.pages if page.status != "unchanged")

    def summary(self, _: Words = ENGLISH) -> str:
        if self.no_changes:
            return _("no changes") + "; " + _.ngettext("{n} page unchanged", "{n} pages unchanged", len(self.pages))
        parts = []
        if changed := self.numbers("changed"):
            parts.append(_.ngettext("page {numbers} changed", "pages {numbers} changed", len(changed),
                                    numbers=_numbers(changed)))
        if reflow := self.numbers("reflow"):
            parts.append(_.ngettext("page {numbers} reflowed", "pages {numbers} reflowed", len(reflow),
                                    numbers=_numbers(reflow)))
        if self.removed:
            parts.append(_.ngettext("old page {numbers} removed", "old pages {numbers} removed", len(self.removed),
                                    numbers=_numbers(self.removed)))
        parts.append(_.ngettext("{n} page unchanged", "{n} pages unchanged", len(self.numbers("unchanged"))))
        if self.new_pages > self.old_pages:
            parts.append(_.ngettext("{n} page more than before", "{n} pages more than before",
                                    self.new_pages - self.old_pages))
        elif self.new_pages < self.old_pages:
            parts.append(_.ngettext("{n} page fewer than before", "{n} pages fewer than before",
                                    self.old_pages - self.new_pages))
        return "; ".join(parts)

    def report_lines(self) -> list[str]:
        lines = [f"Compared {self.old_name} ({_count(self.old_pages, 'page')}) "
                 f"with {self.new_name} ({_count(self.new_pages, 'page')}):"]
        lines += [f"  page {page.number}: {page.status}: {page.describe}" for page in self.shown]
        lines.append(self.summary()[:1].upper() + self.summary()[1:] + ".")
        return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _numbers(numbers) -> str:
    return ", ".join(str(n) for n in numbers)


def _excerpt(words, limit: int = 80) -> str:
    joined = " ".join(words)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


# ---- Reading the PDFs ------------------------------------------------------------------

def _furniture_bands(width: float, height: float) -> tuple[float, float]:
    """Heights (pt) of the top and bottom margins, where folios and running heads stand."""
    for name, (w_mm, h_mm) in PAGE_SIZES_MM.items():
        if abs(width / PT_PER_MM - w_mm) < 1 and abs(height / PT_PER_MM - h_mm) < 1:
            geometry = geometry_for(name, bleed=0)
            return geometry.margin_top * PT_PER_MM, geometry.margin_bottom * PT_PER_MM
    return 0.07 * height, 0.07 * height


def _page_words(page: pdfium.PdfPage, index: int) -> list[Word]:
    width, height = page.get_size()
    top_band, bottom_band = _furniture_bands(width, height)
    textpage = page.get_textpage()
    count = textpage.count_chars()
    chars = textpage.get_text_range(0, count)
    if len(chars) != count:  # generated characters did not line up with the indices
        chars = "".join(textpage.get_text_range(i, 1) or " " for i in range(count))

    words: list[Word] = []
    letters: list[str] = []
    boxes: list[Box] = []
    carried: tuple[str, tuple[Box, ...]] | None = None  # a word hyphenated at the end of the previous line

    def flush(at_line_end: bool) -> None:
        nonlocal carried, letters, boxes
        if not letters:
            return
        word, line_box = "".join(letters), _union(boxes)
        letters, boxes = [], []
        if line_box[1] < top_band or line_box[3] > height - bottom_band:
            return
        parts: tuple[Box, ...] = (line_box,)
        if carried:
            word, parts = carried[0] + word, carried[1] + parts
            carried = None
        if at_line_end and word.endswith(LINE_BREAK_HYPHENS):
            carried = (word[:-1], parts)
            return
        if at_line_end and word.endswith("-") and len(word) > 1:  # Noord-|Holland: the hyphen is the word's own
            carried = (word, parts)
            return
        words.append(Word(word, index, parts))

    for i, char in enumerate(chars):
        if char.isspace():
            flush(char in "\r\n")
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        letters.append(char)
        boxes.append((left, height - top, right, height - bottom))
    flush(False)
    if carried:  # hyphenated at the foot of the page: _join_across_pages finishes it
        words.append(Word(carried[0] + LINE_BREAK_HYPHENS[0], index, carried[1]))
    return words


def _join_across_pages(pages: list[list[Word]]) -> None:
    """A word hyphenated at the end of one page and finished on the next counts once, on the first."""
    for page, following in zip(pages, pages[1:]):
        if page and following and page[-1].text.endswith(LINE_BREAK_HYPHENS[0]):
            rest = following.pop(0)
            page[-1] = Word(page[-1].text[:-1] + rest.text, page[-1].page, page[-1].boxes)


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


class _Document:
    def __init__(self, data: bytes):
        self.pdf = pdfium.PdfDocument(strip_marks(data))
        self.words_by_page = [_page_words(self.pdf[i], i) for i in range(len(self.pdf))]
        _join_across_pages(self.words_by_page)
        self.words = [word for page in self.words_by_page for word in page]

    def __len__(self) -> int:
        return len(self.pdf)

    def raster(self, index: int, size: tuple[int, int] | None = None) -> np.ndarray:
        image = render_page(self.pdf[index], RASTER_DPI)[0].convert("RGB")
        if size and image.size != size:
            image = resample(image, size)
        return np.asarray(image, dtype=np.int16)


# ---- Comparing -------------------------------------------------------------------------

def _changed_regions(old: _Document, new: _Document, old_index: int, new_index: int, moved: bool) -> list[Box]:
    after = new.raster(new_index)
    height_px, width_px = after.shape[:2]
    before = old.raster(old_index, (width_px, height_px))
    changed = np.abs(after - before).max(axis=2) > PIXEL_THRESHOLD
    scale = 72 / RASTER_DPI
    if moved:
        # A page that moved has another folio and running head; those are not a change.
        top_band, bottom_band = _furniture_bands(width_px * scale, height_px * scale)
        changed[: int(top_band / scale)] = False
        changed[height_px - int(bottom_band / scale):] = False
    rows, cols = -(-height_px // CELL), -(-width_px // CELL)
    padded = np.zeros((rows * CELL, cols * CELL), dtype=bool)
    padded[:height_px, :width_px] = changed
    cells = padded.reshape(rows, CELL, cols, CELL).any(axis=(1, 3))
    return [(x0 * CELL * scale, y0 * CELL * scale, (x1 + 1) * CELL * scale, (y1 + 1) * CELL * scale)
            for x0, y0, x1, y1 in _cell_groups(cells)]


def _cell_groups(cells: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (in cells) of groups of changed cells, neighbours within two cells joined."""
    seen = np.zeros_like(cells)
    groups = []
    rows, cols = cells.shape
    for start in zip(*np.nonzero(cells)):
        if seen[start]:
            continue
        stack, seen[start] = [start], True
        x0 = x1 = start[1]
        y0 = y1 = start[0]
        while stack:
            r, c = stack.pop()
            x0, x1, y0, y1 = min(x0, c), max(x1, c), min(y0, r), max(y1, r)
            for nr in range(max(r - 2, 0), min(r + 3, rows)):
                for nc in range(max(c - 2, 0), min(c + 3, cols)):
                    if cells[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        stack.append((nr, nc))
        groups.append((x0, y0, x1, y1))
    return groups


def _overlaps(box: Box, others: list[Box]) -> bool:
    return any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in others)


def compare(old_pdf: bytes, new_pdf: bytes, old_name: str = "old", new_name: str = "new") -> Comparison:
    old, new = _read(old_pdf, old_name), _read(new_pdf, new_name)
    raise_if_errors([found for found in (old, new) if isinstance(found, Problem)])
    came_from: dict[int, Counter] = {i: Counter() for i in range(len(new))}
    inserted: dict[int, list[Word]] = {}
    deleted: dict[int, list[Deletion]] = {}
    punctuation: dict[int, list[Punctuation]] = {}
    for tag, i1, i2, j1, j2 in _refined(_word_opcodes([w.key for w in old.words], [w.key for w in new.words]),
                                        old.words, new.words):
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                came_from[new.words[j].page][old.words[i].page] += 1
            continue
        if tag == "punctuation":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                came_from[new.words[j].page][old.words[i].page] += 1
                if old.words[i].key != new.words[j].key:
                    punctuation.setdefault(new.words[j].page, []).append(Punctuation(old.words[i].text, new.words[j]))
            continue
        for word in new.words[j1:j2]:
            inserted.setdefault(word.page, []).append(word)
        if i2 > i1:
            gone = old.words[i1:i2]
            anchor = _deletion_anchor(new.words, j1, tag)
            if anchor is not None:
                page, at = anchor
                deleted.setdefault(page, []).append(Deletion(tuple(w.text for w in gone), at))

    pairs = _pair_pages(came_from, len(old))
    reports = []
    for index in range(len(new)):
        old_index = pairs[index]
        words_here = [w.key for w in new.words_by_page[index]]
        text_changed = bool(inserted.get(index) or deleted.get(index) or punctuation.get(index))
        if old_index is None:
            reports.append(PageReport(index + 1, None, "changed", tuple(inserted.get(index, ())),
                                      tuple(deleted.get(index, ())), punctuation=tuple(punctuation.get(index, ()))))
            continue
        reflowed = not text_changed and words_here != [w.key for w in old.words_by_page[old_index]]
        regions = _changed_regions(old, new, old_index, index, moved=old_index != index)
        if text_changed or reflowed:
            # Moved text changes every pixel it passes; only changes away from the words are news.
            word_boxes = [b for w in new.words_by_page[index] + old.words_by_page[old_index] for b in w.boxes]
            regions = [r for r in regions if not _overlaps(r, word_boxes)]
        status = "changed" if text_changed or (regions and not reflowed) else "reflow" if reflowed else "unchanged"
        reports.append(PageReport(index + 1, old_index + 1, status, tuple(inserted.get(index, ())),
                                  tuple(deleted.get(index, ())), tuple(regions), tuple(punctuation.get(index, ()))))
    paired = {p for p in pairs.values() if p is not None}
    surviving = sum(came_from.values(), Counter())
    # An old page is gone when none of its words is left and no new page stands in its place.
    removed = tuple(p + 1 for p in range(len(old)) if p not in paired and not surviving[p])
    return Comparison(old_name, new_name, len(old), len(new), tuple(reports), removed)


def _word_opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with the common start and end taken off first.

    Most edits are local, and difflib without its junk heuristic (which would ignore the
    commonest words, the very ones a sentence is made of) is slow on long equal stretches.
    """
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    middle = difflib.SequenceMatcher(None, old[start:len(old) - end], new[start:len(new) - end], autojunk=False)
    opcodes = [("equal", 0, start, 0, start)] if start else []
    opcodes += [(tag, i1 + start, i2 + start, j1 + start, j2 + start) for tag, i1, i2, j1, j2 in middle.get_opcodes()
                if i1 != i2 or j1 != j2]
    if end:
        opcodes.append(("equal", len(old) - end, len(old), len(new) - end, len(new)))
    return opcodes


def _letters(text: str) -> str:
    """A word without its punctuation; a word of punctuation alone stays itself."""
    bare = "".join(char for char in text if not unicodedata.category(char).startswith("P"))
    return bare or text


def _refined(opcodes, old: list[Word], new: list[Word]):
    """The opcodes, with each replaced stretch compared again by the words' letters alone: a word whose
    letters stayed and whose punctuation changed is a "punctuation" change, not a word removed and
    another inserted."""
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "replace":
            yield tag, i1, i2, j1, j2
            continue
        inner = difflib.SequenceMatcher(None, [_letters(w.key) for w in old[i1:i2]],
                                        [_letters(w.key) for w in new[j1:j2]], autojunk=False)
        for sub, a1, a2, b1, b2 in inner.get_opcodes():
            yield ("punctuation" if sub == "equal" else sub), i1 + a1, i1 + a2, j1 + b1, j1 + b2


def _deletion_anchor(words: list[Word], at: int, tag: str) -> tuple[int, Box] | None:
    """Where removed words are shown: at the words that replaced them, else just after the word before."""
    if tag == "replace" or (at == 0 and words):
        word = words[at]
        box = word.boxes[0]
        return word.page, (box[0] - 1, box[1], box[0] + 1, box[3])
    if at > 0:
        word = words[at - 1]
        box = word.boxes[-1]
        return word.page, (box[2], box[1], box[2] + 2, box[3])
    return None


def _pair_pages(came_from: dict[int, Counter], old_count: int) -> dict[int, int | None]:
    """The old page each new page is compared with: where most of its words came from."""
    pairs: dict[int, int | None] = {}
    offset = 0
    for index in sorted(came_from):
        if came_from[index]:
            pairs[index] = came_from[index].most_common(1)[0][0]
            offset = pairs[index] - index
        else:  # a page without words (a photo) keeps the shift of the page before it
            candidate = index + offset
            pairs[index] = candidate if 0 <= candidate < old_count else None
    return pairs


# ---- The changes PDF -------------------------------------------------------------------

CHANGES_CSS = """
.cover { left: 20mm; top: 20mm; right: 20mm; font-size: 10pt; line-height: 1.35; color: #1d2430; }
.cover h1 { font-size: 20pt; margin: 0 0 3mm; color: #0b3d6e; }
.cover .summary { font-size: 13pt; font-weight: 600; margin: 0 0 6mm; }
.cover .files { color: #555; margin: 0 0 6mm; }
.cover ul { margin: 0; padding: 0; list-style: none; }
.cover li { margin: 0 0 2mm; padding-left: 24mm; text-indent: -24mm; }
.cover li b { display: inline-block; min-width: 24mm; padding-right: 2mm; box-sizing: border-box; text-indent: 0;
              white-space: nowrap; }
.cover .legend { margin-top: 8mm; color: #555; font-size: 9pt; }
.swatch { display: inline-block; width: 4mm; height: 2.6mm; vertical-align: middle; margin-right: 1mm; }
.inserted { background: rgba(255, 214, 0, 0.42); }
.deleted { background: #d0162e; }
.region { border: 1.2pt dashed #d0162e; }
.punctuation { border: 1pt solid #1f5fbf; border-radius: 0.6mm; }
.column { top: 0; bottom: 0; background: #f4f2ee; border-left: 0.6pt solid #c9c4bb; }
.column-head { font-size: 6.5pt; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase; color: #6b6459; }
.leader { height: 0; border-top: 0.6pt dotted #d0162e; }
.leader.punctuation-leader { border-top-color: #1f5fbf; }
.deleted-label, .punctuation-label { font-size: 6pt; line-height: 1.15; color: white; background: #d0162e;
                 padding: 0.3mm 1mm; border-radius: 0.8mm; white-space: normal; overflow: hidden; }
.punctuation-label { background: #1f5fbf; }
.page-label { top: 1.6mm; left: 4mm; font-size: 7pt; font-weight: 600; color: white; padding: 0.5mm 2mm;
              border-radius: 1mm; white-space: nowrap; }
.page-label.changed { background: #d0162e; }
.page-label.reflow { background: #5b6b7f; }
"""

MAX_COVER_LINES = 40
COLUMN_MM = 60
"""The column added beside each changed page of the changes PDF, for the tags of removed words."""
TAG_CHARACTERS = 160
TAG_PADDING_X, TAG_PADDING_Y = 1 * PX_PER_MM, 0.3 * PX_PER_MM


def _rect(box: Box, css_class: str, pad: float = 0.0) -> str:
    x0, y0, x1, y1 = (v * PX_PER_PT for v in box)
    return (f'<div class="{css_class}" style="left: {x0 - pad:.2f}px; top: {y0 - pad:.2f}px; '
            f'width: {x1 - x0 + 2 * pad:.2f}px; height: {y1 - y0 + 2 * pad:.2f}px"></div>')


def _runs(boxes: list[Box]) -> list[Box]:
    """Neighbouring word boxes on one line joined, so that an inserted phrase is one highlight."""
    runs: list[Box] = []
    for box in boxes:
        last = runs[-1] if runs else None
        if last and abs(box[1] - last[1]) < 1 and abs(box[3] - last[3]) < 1 and -1 <= box[0] - last[2] < 8:
            runs[-1] = _union([last, box])
        else:
            runs.append(box)
    return runs


def _tags(report: PageReport) -> list[tuple[float, str, str]]:
    """The notes of a page for the column beside it: (the height they belong at in pt, class, words)."""
    tags = [(deletion.at[1], "deleted", f"− {_excerpt(deletion.words, TAG_CHARACTERS)}") for deletion in report.deleted]
    tags += [(change.new.boxes[0][1], "punctuation",
              f"{_excerpt([change.old], 40)} → {_excerpt([change.new.text], 40)}")
             for change in report.punctuation]
    return sorted(tags, key=lambda tag: tag[0])


def _tag_height(words: str, width: float) -> float:
    """The height in px a tag of `words` takes in the column: 6 pt letters, about half as wide as high."""
    per_line = max(1, int((width - 2 * TAG_PADDING_X) / (6 * PX_PER_PT * 0.56)))
    return -(-len(words) // per_line) * 6 * 1.15 * PX_PER_PT + 2 * TAG_PADDING_Y + 2


def _status(report: PageReport, _: Words) -> str:
    return _("reflowed") if report.status == "reflow" else _("changed")


def _page_sheet(report: PageReport, width: float, height: float, _: Words = ENGLISH) -> Sheet:
    """The marks over a changed page; removed words and punctuation are tagged in a column beside the
    page (the changes PDF widens each page by COLUMN_MM), level with their line, so no tag covers text."""
    parts = [f'<p class="page-label {report.status}">{text(_("Page {number}", number=report.number))} · '
             f'{text(_status(report, _))}{": " + text(report.described(_)) if report.status == "reflow" else ""}</p>']
    parts += [_rect(box, "inserted", 0.8) for box in _runs([box for word in report.inserted for box in word.boxes])]
    parts += [_rect(deletion.at, "deleted", 0.6) for deletion in report.deleted]
    parts += [_rect(box, "punctuation", 0.8) for change in report.punctuation for box in change.new.boxes[:1]]
    parts += [_rect(box, "region", 3) for box in report.regions]
    column = COLUMN_MM * PX_PER_MM
    left, tag_width = width + 3 * PX_PER_MM, column - 6 * PX_PER_MM
    parts.append(f'<div class="column" style="left: {width:.2f}px; width: {column:.2f}px"></div>')
    parts.append(f'<p class="column-head" style="left: {left:.2f}px; top: {6 * PX_PER_MM:.2f}px">'
                 f'{text(_("Removed and punctuation"))}</p>')
    below = 10 * PX_PER_MM  # the top of the free part of the column
    for at, kind, words in _tags(report):
        line = at * PX_PER_PT
        top = max(line - 2, below)
        tag_height = _tag_height(words, tag_width)
        parts.append(f'<div class="leader{" punctuation-leader" if kind == "punctuation" else ""}" style="left: '
                     f'{width:.2f}px; top: {line + 3:.2f}px; width: {3 * PX_PER_MM:.2f}px"></div>')
        parts.append(f'<p class="{kind}-label" style="left: {left:.2f}px; top: {top:.2f}px; width: {tag_width:.2f}px; '
                     f'max-height: {tag_height:.2f}px; box-sizing: border-box">{text(words)}</p>')
        below = top + tag_height + 1 * PX_PER_MM
    return Sheet(width + column, height, "\n".join(parts))


def _cover_sheet(comparison: Comparison, width: float, height: float, _: Words = ENGLISH) -> Sheet:
    items = [f"<li><b>{text(_('page {number}', number=page.number))}</b>{text(_status(page, _))}: "
             f"{text(page.described(_))}</li>" for page in comparison.shown]
    if len(items) > MAX_COVER_LINES:
        more = len(items) - MAX_COVER_LINES
        more_pages = _.ngettext("… and {n} more page", "… and {n} more pages", more)
        items = items[:MAX_COVER_LINES] + [f"<li>{text(more_pages)}</li>"]
    removed = ""
    if comparison.removed:
        pages = _.ngettext("old page {numbers}", "old pages {numbers}", len(comparison.removed),
                           numbers=_numbers(comparison.removed))
        removed = f"<li><b>{text(pages)}</b>{text(_('removed'))}</li>"
    summary = comparison.summary(_)
    old_pages = _.ngettext("{n} page", "{n} pages", comparison.old_pages)
    new_pages = _.ngettext("{n} page", "{n} pages", comparison.new_pages)
    html = f"""<div class="cover">
<h1>{text(_("Changes"))}</h1>
<p class="summary">{text(summary[:1].upper() + summary[1:])}</p>
<p class="files">{text(_("Old: {name} ({pages})", name=comparison.old_name, pages=old_pages))}<br>
{text(_("New: {name} ({pages})", name=comparison.new_name, pages=new_pages))}</p>
<ul>{''.join(items)}{removed}</ul>
<p class="legend"><span class="swatch inserted"></span> {text(_("inserted words"))} &nbsp;
<span class="swatch deleted"></span> {text(_("removed words (beside the page)"))} &nbsp;
<span class="swatch punctuation"></span> {text(_("punctuation changed"))} &nbsp;
<span class="swatch region"></span> {text(_("other visual change."))}
{text(_("Reflowed pages hold the same words as before, moved by a change on an earlier page."))}
{text(_("The following pages are those of the new version."))}</p>
</div>"""
    return Sheet(width, height, html)


def _language_of(pdf: pikepdf.Pdf) -> str:
    """The publication's language, as its PDF declares it (/Lang); English if it declares none."""
    language = str(pdf.Root.get("/Lang", "")).strip()
    return language or SOURCE_LANGUAGE


def changes_pdf(comparison: Comparison, new_pdf: bytes, language: str | None = None) -> bytes:
    """The cover, then each new page that changed or reflowed, with its changes marked; its words in
    `language`, by default the new PDF's own (/Lang)."""
    pdf = pikepdf.open(io.BytesIO(new_pdf))
    _ = words_for(language or _language_of(pdf))
    sizes = [(float(p.mediabox[2]) * PX_PER_PT, float(p.mediabox[3]) * PX_PER_PT) for p in pdf.pages]
    shown = comparison.shown
    sheets = [_cover_sheet(comparison, *sizes[0], _)]
    sheets += [_page_sheet(report, *sizes[report.number - 1], _) for report in shown]
    marks = render_sheets(sheets, CHANGES_CSS)
    keep = {report.number - 1 for report in shown}
    for index in keep:  # room beside the page for the tags
        page = pdf.pages[index]
        left, bottom, right, top = (float(value) for value in page.mediabox)
        page.mediabox = pikepdf.Array([left, bottom, right + COLUMN_MM * PT_PER_MM, top])
        if "/CropBox" in page.obj:
            page.cropbox = page.mediabox
    apply_marks(pdf, marks, {report.number - 1: k + 1 for k, report in enumerate(shown)}, _("Changes"))
    for index in reversed(range(len(pdf.pages))):
        if index not in keep:
            del pdf.pages[index]
    cover = pikepdf.open(io.BytesIO(marks))
    pdf.pages.insert(0, cover.pages[0])
    if "/Outlines" in pdf.Root:
        del pdf.Root.Outlines  # they point into pages that are no longer there
    return save_reproducibly(pdf)


def compare_files(old: Path, new: Path) -> Comparison:
    return compare(old.read_bytes(), new.read_bytes(), str(old), str(new))


def _read(data: bytes, name: str) -> _Document | Problem:
    try:
        return _Document(data)
    except (pikepdf.PdfError, pdfium.PdfiumError):
        return error(name, None, "this is not a PDF that can be read; give the path of a complete PDF file",
                     Code.NOT_A_PDF)
