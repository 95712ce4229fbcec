"""`publication comments`: reviewers' annotations on proofs, read back and tied to the source lines.

Any PDF reader lets a reviewer highlight, underline, strike out, insert text and attach notes
(Acrobat Reader, Preview, Edge, Firefox's pdf.js, Okular). Each annotation names its place on
the page (QuadPoints for marked text, Rect for a note); the proof carries a map of its printed
lines to the Markdown lines they came from (editions/proof.py `line_map`), so each comment is
tied to a file and line. Comments from several reviewers and proof files are merged and put in
source order, together with the comments left in the live preview (review/comments.yml,
commands/review.py). A comment on an older proof whose text has changed since is marked stale; when
the quoted words are still in the file, the comment moves to the line where they stand now.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pikepdf
import pypdfium2
from PIL import ImageDraw

from ..content.project import load_project
from ..core.problems import BuildFailed, Code, error
from ..core.raster import PDFIUM_LOCK, render_page
from ..core.units import PT_PER_MM
from ..editions.proof import LINE_MAP_KEY
from ..editions.standard import STANDARD
from .review import REVIEW_FILE, read_entries

KINDS = {"/Text": "note", "/Highlight": "highlight", "/Underline": "underline", "/StrikeOut": "strikeout",
         "/Squiggly": "squiggly", "/FreeText": "free text", "/Ink": "ink", "/Caret": "insert", "/Stamp": "stamp",
         "/Square": "box", "/Circle": "circle", "/Line": "line", "/Polygon": "polygon", "/PolyLine": "line"}
"""The annotations a reviewer makes, by the name we report; links, widgets and popups are not comments."""


@dataclass(frozen=True)
class Comment:
    file: str | None
    line: int | None
    page: int
    kind: str
    author: str
    date: str
    quoted: str
    comment: str
    replacement: str | None
    stale: bool
    proof: str
    id: str
    in_reply_to: str | None = None
    state: str | None = None
    area: tuple[float, float, float, float] = (0, 0, 0, 0)
    """left, bottom, right, top in PDF points on the page."""
    position_mm: tuple[float, float] | None = None
    """For a comment left in the preview: where it was placed, in mm from the top left of the trimmed page."""

    def to_json(self) -> dict:
        data = asdict(self)
        data["area"] = list(self.area)
        data["position_mm"] = list(self.position_mm) if self.position_mm else None
        return data


def _date(value) -> str:
    """A PDF date (D:20261130101500+01'00') as ISO 8601; anything else as it is."""
    text = str(value or "")
    found = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?", text)
    if not found:
        return text
    year, month, day, hour, minute, second, sign, tz_hour, tz_minute = found.groups()
    moment = dt.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                         int(second or 0))
    if sign in ("+", "-"):
        offset = dt.timedelta(hours=int(tz_hour or 0), minutes=int(tz_minute or 0))
        moment = moment.replace(tzinfo=dt.timezone(offset if sign == "+" else -offset))
    elif sign in ("Z", "z"):
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.isoformat()


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


def _quads(annotation) -> list[tuple[float, float, float, float]]:
    """The marked areas of a text markup annotation as (left, bottom, right, top), else its Rect."""
    points = [float(value) for value in annotation.get("/QuadPoints", [])]
    quads = []
    for index in range(0, len(points) - 7, 8):
        xs, ys = points[index:index + 8:2], points[index + 1:index + 8:2]
        quads.append((min(xs), min(ys), max(xs), max(ys)))
    if not quads and "/Rect" in annotation:
        left, bottom, right, top = (float(value) for value in annotation.Rect)
        quads.append((min(left, right), min(bottom, top), max(left, right), max(bottom, top)))
    return quads


def lines_under(lines: list[dict], quads: list[tuple[float, float, float, float]]) -> list[dict]:
    """The printed lines a comment marks: those its areas cross, or else the nearest one (a note)."""
    marked = []
    for left, bottom, right, top in quads:
        middle = (bottom + top) / 2
        for line in lines:
            if line["bottom"] - 1 <= middle <= line["top"] + 1 and left < line["right"] and line["left"] < right:
                if line not in marked:
                    marked.append(line)
    if marked or not lines or not quads:
        return marked
    left, bottom, right, top = quads[0]
    x, y = (left + right) / 2, (bottom + top) / 2

    def distance(line: dict) -> float:
        dx = max(line["left"] - x, 0, x - line["right"])
        dy = max(line["bottom"] - y, 0, y - line["top"])
        return dy * 4 + dx  # a note beside a line belongs to it more than one above it
    return [min(lines, key=distance)]


def _quoted(document: pypdfium2.PdfDocument, page_index: int, quads) -> str:
    textpage = document[page_index].get_textpage()
    parts = [textpage.get_text_bounded(left, bottom, right, top) for left, bottom, right, top in quads]
    return " ".join(" ".join(part.split()) for part in parts if part.strip())


def _identifier(proof: str, annotation) -> str:
    described = f"{proof}|{annotation.objgen}|{_text(annotation.get('/NM'))}"
    return hashlib.sha256(described.encode()).hexdigest()[:12]


def _content_key(comment: Comment) -> tuple:
    """What makes two annotations the same comment, in two copies of one proof."""
    return (comment.page, comment.kind, comment.author, comment.comment, comment.quoted,
            tuple(round(value) for value in comment.area))


def read_comments(path: Path) -> tuple[list[Comment], dict | None]:
    """Every reviewer's annotation in one PDF, mapped to its source line where the PDF is a proof,
    and the proof's line map (None for a PDF that is not a proof)."""
    data = path.read_bytes()
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise BuildFailed([error(path, None, f"cannot read this PDF ({exc}); give the proof a reviewer annotated",
                                 Code.BAD_PDF)]) from exc
    document = pypdfium2.PdfDocument(data)
    line_map = json.loads(pdf.Root[LINE_MAP_KEY].read_bytes()) if LINE_MAP_KEY in pdf.Root else None
    pages = {page["page"]: page["lines"] for page in line_map["pages"]} if line_map else {}
    ids = {}
    raw = []
    for number, page in enumerate(pdf.pages, 1):
        for annotation in page.obj.get("/Annots", []):
            kind = KINDS.get(str(annotation.get("/Subtype", "")))
            if kind is None:
                continue
            identifier = _identifier(path.name, annotation)
            ids[annotation.objgen] = identifier
            raw.append((number, annotation, kind, identifier))
    comments = []
    for number, annotation, kind, identifier in raw:
        quads = _quads(annotation)
        markup = kind in ("highlight", "underline", "strikeout", "squiggly")
        lines = lines_under(pages.get(number, []), quads)
        quoted = _quoted(document, number - 1, quads) if markup else ""
        first = lines[0] if lines else None
        parent = annotation.get("/IRT")
        grouped = parent is not None and str(annotation.get("/RT", "/R")) == "/Group"
        state = _text(annotation.get("/State")) or None
        rect = quads[0] if quads else (0, 0, 0, 0)
        comments.append(Comment(
            file=first["source"] if first else None, line=first["line"] if first else None, page=number,
            kind=kind, author=_text(annotation.get("/T")), date=_date(annotation.get("/M")
                                                                   or annotation.get("/CreationDate")),
            quoted=quoted, comment=_text(annotation.get("/Contents")), replacement=None, stale=False,
            proof=path.name, id=identifier,
            in_reply_to=(ids.get(parent.objgen) if parent is not None and not grouped else None),
            state=state, area=tuple(round(value, 2) for value in rect)))
        if grouped:
            comments[-1] = replace(comments[-1], in_reply_to=f"group:{ids.get(parent.objgen)}")
    return _join_replacements(comments), line_map


def _join_replacements(comments: list[Comment]) -> list[Comment]:
    """Acrobat's "replace text" is a StrikeOut and a Caret in one group: one comment, the struck words
    quoted and the Caret's text as the replacement."""
    by_id = {comment.id: comment for comment in comments}
    joined: dict[str, Comment] = {}
    dropped = set()
    for comment in comments:
        if not (comment.in_reply_to or "").startswith("group:"):
            continue
        other = by_id.get(comment.in_reply_to.split(":", 1)[1])
        if other is None:
            continue
        pair = {comment.kind: comment, other.kind: other}
        struck, caret = pair.get("strikeout"), pair.get("insert")
        if struck is None or caret is None:
            continue
        replacement = caret.comment or struck.comment
        joined[struck.id] = replace(struck, kind="replace", replacement=replacement, in_reply_to=None,
                                    comment=struck.comment if struck.comment != replacement else "")
        dropped.add(caret.id)
    result = []
    for comment in comments:
        if comment.id in dropped:
            continue
        comment = joined.get(comment.id, comment)
        if (comment.in_reply_to or "").startswith("group:"):
            comment = replace(comment, in_reply_to=None)
        result.append(comment)
    return result


def _normalised(text: str) -> str:
    text = re.sub(r"[\u2010\u00ad]\s*", "", text)  # words hyphenated at a line end
    text = text.replace("\u200b", "")  # the break points in a web or e-mail address
    return " ".join(re.sub(r"[*_`\[\]]", "", text).split()).lower()


def _freshen(comment: Comment, root: Path, digests: dict[str, str]) -> Comment:
    """Compare the comment's source with the project as it is now: unchanged, moved or stale."""
    if comment.file is None:
        return comment
    path = root / comment.file
    if not path.is_file():
        return replace(comment, stale=True)
    current = path.read_bytes()
    if hashlib.sha256(current).hexdigest() == digests.get(comment.file):
        return comment
    quoted = _normalised(comment.quoted)
    if not quoted:
        return replace(comment, stale=True)
    lines = current.decode("utf-8", errors="replace").split("\n")
    # The fewest lines that hold the quoted words start on the line where they stand now.
    for span in range(1, 7):
        for number in range(len(lines)):
            if quoted in _normalised(" ".join(lines[number:number + span])):
                return replace(comment, line=number + 1)
    return replace(comment, stale=True)


def review_comments(root: Path) -> list[Comment]:
    """The comments left in the live preview, checked against the project as it is now."""
    comments = []
    for entry in read_entries(root):
        x, y = entry.get("x_mm"), entry.get("y_mm")
        file, line = entry.get("file"), entry.get("line")
        comment = Comment(
            file=str(file) if file else None, line=line if isinstance(line, int) else None, page=entry["page"],
            kind="note", author=_text(entry.get("author")), date=_text(entry.get("time")),
            quoted=_text(entry.get("quoted")), comment=_text(entry.get("comment")), replacement=None, stale=False,
            proof=REVIEW_FILE, id=entry["id"], in_reply_to=entry.get("reply_to"), state=entry.get("state"),
            position_mm=(float(x), float(y)) if isinstance(x, (int, float)) and isinstance(y, (int, float)) else None)
        comments.append(_freshen(comment, root, {comment.file: _text(entry.get("file_sha256"))}))
    # A reply is about what its comment is about: it moves, or goes stale, with it.
    by_id = {comment.id: comment for comment in comments}
    return [replace(comment, file=parent.file, line=parent.line, stale=parent.stale)
            if (parent := by_id.get(comment.in_reply_to or "")) else comment for comment in comments]


def collect(pdfs: list[Path], root: Path | None = None) -> list[Comment]:
    """The comments of every PDF and of the live preview (when `root` is a project), merged (the same
    annotation in two copies counts once), checked against the project in `root` and ordered by source
    file and line."""
    found: dict[tuple, Comment] = {}
    for comment in review_comments(root) if root is not None else []:
        found[("review", comment.id)] = comment
    for path in pdfs:
        comments, line_map = read_comments(path)
        digests = line_map["sources"] if line_map else {}
        for comment in comments:
            if root is not None:
                comment = _freshen(comment, root, digests)
            found.setdefault(_content_key(comment), comment)
    by_id = {comment.id: comment for comment in found.values()}

    def order(comment: Comment) -> tuple:
        # A reply follows its comment, even one made within the same second (ids after the time are random).
        thread = by_id.get(comment.in_reply_to or "", comment)
        return (comment.file is None, comment.file or "", comment.line or 0, comment.page, thread.date, thread.id,
                thread is not comment, comment.date, comment.id)
    return sorted(found.values(), key=order)


def as_text(comments: list[Comment]) -> str:
    out = []
    for comment in comments:
        where = f"{comment.file}:{comment.line}" if comment.file and comment.line else comment.file or "(no source)"
        who = ", ".join(part for part in (comment.author, comment.date[:16].replace("T", " ")) if part)
        head = f"{where}: page {comment.page}, {comment.kind}" + (f" ({who})" if who else "")
        details = []
        if comment.quoted:
            details.append(f"“{comment.quoted}”")
        if comment.replacement is not None:
            details.append(f"→ “{comment.replacement}”")
        if comment.comment:
            details.append(" / ".join(line.strip() for line in comment.comment.splitlines() if line.strip()))
        flags = (" [stale: the text has changed since this proof]" if comment.stale else "") + \
            (" [reply]" if comment.in_reply_to else "") + (f" [{comment.state}]" if comment.state else "")
        out.append(f"{head}{flags}: {' — '.join(details)}")
    return "\n".join(out) + ("\n" if out else "")


def as_json(comments: list[Comment]) -> str:
    return json.dumps([comment.to_json() for comment in comments], indent=2, ensure_ascii=False) + "\n"


CROP_DPI = 110
PREVIEW_CROP_MM = (120.0, 36.0)
"""The picture around a comment left in the preview: width and height in mm, the place in its middle."""
MARK_COLOUR = (230, 0, 140)
CHECK_BAND_MM = 25.0
"""How far above and below a preview comment's place its line must still be printed for the picture to be shown."""


def _letters(text: str) -> str:
    """Only the letters and digits, lower case: a printed line compared with the text of a page, whatever
    the hyphenation, spacing and line ends."""
    return "".join(letter for letter in text.lower() if letter.isalnum())


@dataclass
class _Built:
    """A PDF of the project's pages to picture preview comments from: a proof (with its line map) or
    the brochure itself."""

    path: Path
    document: pypdfium2.PdfDocument
    sources: dict | None


def _built_pdfs(root: Path | None) -> list[_Built]:
    """The project's built pages, the newest proof first, then dist/<slug>.pdf."""
    if root is None or not (root / "dist").is_dir():
        return []
    paths = sorted((root / "dist").glob("*-proof-*.pdf"), key=lambda path: (-path.stat().st_mtime_ns, path.name))
    try:
        project, _ = load_project(root)
        paths.append(root / "dist" / STANDARD.output_name(project.slug))
    except BuildFailed:
        pass  # the sources do not load today; the proofs still show the pages
    built = []
    for path in paths:
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                sources = json.loads(pdf.Root[LINE_MAP_KEY].read_bytes())["sources"] if LINE_MAP_KEY in pdf.Root \
                    else None
            with PDFIUM_LOCK:
                document = pypdfium2.PdfDocument(data)
        except (pikepdf.PdfError, pypdfium2.PdfiumError, ValueError, KeyError):
            continue
        built.append(_Built(path, document, sources))
    return built


def _png(image) -> str:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _preview_crop(comment: Comment, digest: str, built: list[_Built]) -> tuple[str, str]:
    """The picture of a preview comment's place, from the first built PDF whose page still shows the
    commented line there, and which file it came from; or no picture and why not."""
    if not comment.quoted:
        return "", "no picture: there was no text near this place to check the built pages against"
    x_mm, y_mm = comment.position_mm
    wanted = _letters(comment.quoted)
    for candidate in built:
        if candidate.sources is not None and comment.file and candidate.sources.get(comment.file) != digest:
            continue  # a proof of another version of the file
        if not 1 <= comment.page <= len(candidate.document):
            continue
        with PDFIUM_LOCK:
            page = candidate.document[comment.page - 1]
            left, bottom, right, top = page.get_trimbox()
            y = top - y_mm * PT_PER_MM
            band = CHECK_BAND_MM * PT_PER_MM
            printed = page.get_textpage().get_text_bounded(left, max(bottom, y - band), right, min(top, y + band))
        if wanted not in _letters(printed):
            continue  # the page has changed since the comment was left
        image, width, height = render_page(page, dpi=CROP_DPI, box="trim")
        scale = image.width / width
        half_width, half_height = PREVIEW_CROP_MM[0] / 2 * PT_PER_MM, PREVIEW_CROP_MM[1] / 2 * PT_PER_MM
        crop_left = min(max(0.0, x_mm * PT_PER_MM - half_width), max(0.0, width - 2 * half_width))
        crop_top = min(max(0.0, y_mm * PT_PER_MM - half_height), max(0.0, height - 2 * half_height))
        box = tuple(round(value * scale) for value in (crop_left, crop_top, min(width, crop_left + 2 * half_width),
                                                        min(height, crop_top + 2 * half_height)))
        picture = image.convert("RGB").crop(box)
        # Where the reviewer clicked, in a colour no brochure text has, beside the words and not over them:
        # a bar at the left edge on the line's height and a pointer just above the place.
        cx, cy = (x_mm * PT_PER_MM - crop_left) * scale, (y_mm * PT_PER_MM - crop_top) * scale
        draw = ImageDraw.Draw(picture)
        draw.rectangle((0, cy - 7, 3, cy + 7), fill=MARK_COLOUR)
        draw.polygon([(cx, cy - 7), (cx - 5, cy - 15), (cx + 5, cy - 15)], fill=MARK_COLOUR)
        return _png(picture), candidate.path.name
    if not built:
        return "", "no picture: build the publication (`publication build`) to see this comment on its page"
    return "", ("no picture: the built pages no longer show this line on this page; the brochure has changed "
                "since the comment was left")


def as_html(comments: list[Comment], pdfs: list[Path], root: Path | None = None) -> str:
    """One page with every comment and a crop of its place on its page: for a comment in an annotated
    proof from that proof, for one left in the preview from the project's built pages (the newest proof of
    the same source, else dist/<slug>.pdf), when they still show the commented line there."""
    documents = {path.name: pypdfium2.PdfDocument(path.read_bytes()) for path in pdfs}
    review = {comment.id for comment in comments if comment.proof == REVIEW_FILE and comment.position_mm
              and not comment.in_reply_to}
    built = _built_pdfs(root) if review and root is not None else []
    digests = {entry["id"]: _text(entry.get("file_sha256")) for entry in read_entries(root)} if review else {}
    rows = []
    for comment in comments:
        crop, note = "", ""
        document = documents.get(comment.proof)
        if comment.proof == REVIEW_FILE and comment.id in review:
            crop, source = _preview_crop(comment, digests.get(comment.id, ""), built)
            note = f'<p class="{"from" if crop else "none"}">{html.escape(source)}</p>'
        elif document is not None and comment.area != (0, 0, 0, 0):
            image, width, height = render_page(document[comment.page - 1], dpi=CROP_DPI)
            scale = image.width / width
            left, bottom, right, top = comment.area
            box = (max(0, (left - 60) * scale), max(0, (height - top - 30) * scale),
                   min(image.width, (right + 60) * scale), min(image.height, (height - bottom + 30) * scale))
            crop = _png(image.crop(tuple(int(v) for v in box)))
        where = f"{comment.file}:{comment.line}" if comment.file and comment.line else comment.file or "(no source)"
        rows.append(
            f'<section class="{"stale" if comment.stale else ""}"><h2>{html.escape(where)} · page {comment.page} · '
            f'{html.escape(comment.kind)}</h2><p class="who">{html.escape(comment.author)} '
            f'{html.escape(comment.date)}{" · stale: the text has changed since this proof" if comment.stale else ""}'
            f'</p>' + (f"<blockquote>{html.escape(comment.quoted)}</blockquote>" if comment.quoted else "")
            + (f"<p>→ {html.escape(comment.replacement)}</p>" if comment.replacement is not None else "")
            + (f"<p>{html.escape(comment.comment)}</p>" if comment.comment else "") + crop + note + "</section>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Comments</title><style>"
            "body{font:14px/1.45 system-ui,sans-serif;margin:24px;max-width:60em}section{border-top:1px solid #ccc;"
            "padding:8px 0}h2{font-size:15px;margin:0}.who{color:#555;margin:2px 0}.stale h2{color:#b26a00}"
            "blockquote{margin:6px 0;padding-left:8px;border-left:3px solid #fd0}img{max-width:100%;"
            "border:1px solid #ddd}.from,.none{color:#555;font-size:12px;margin:2px 0}.none{font-style:italic}"
            "</style></head><body><h1>Comments</h1>" + "".join(rows) + "</body></html>\n")
