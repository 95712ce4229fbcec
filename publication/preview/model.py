"""The live preview's model: one warm process that rebuilds on save and keeps pages in memory.

A build runs in a single builder thread, so WeasyPrint, fontconfig and the parsed
layouts stay loaded between saves. A successful build becomes an `Edition`: the pages
rasterised from the PDF bytes, never written to disk. A failed build leaves the last
good edition in place and records what went wrong. Every change of state bumps a
version number; the server waits on it to push the new state to open browser pages.

How the pages are laid out, written and checked is a `Pipeline`. The preview's own is the
print pipeline: the print edition's layout, drawn in RGB with its bleed, and the print
preflight's findings beside their pages. Findings, build warnings and errors are all
`Problem`s (core/problems.py).

Each edition also keeps the map of its printed lines to the source lines (the proof's line map,
editions/proof.py), so that a comment placed on a page is tied to the file and line of the text
there (`place`). The comments themselves live in the project (commands/review.py); the snapshot
only counts their changes, so that every open page fetches them again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import watchfiles

from ..commands.comments import lines_under
from ..commands.review import Place, ReviewRefused
from ..commands.warm import WarmBuilder
from ..config.geometry import Geometry
from ..config.theme import load_theme
from ..content.project import load_project
from ..content.sources import Project
from ..core.i18n import untranslated as _
from ..core.problems import BuildFailed, Code, Problem, Severity
from ..core.raster import page_words, render_pages
from ..core.units import PT_PER_MM
from ..editions.press import PRINT, finish_print, print_spec
from ..editions.proof import line_map, page_contents
from ..editions.web import FOLDER as WEB_FOLDER
from ..editions.web import WEB, finish_web
from ..preflight import SAFETY_ZONE_MM, preflight
from ..render.rendition import Rendition, in_rgb
from ..render.spec import SCREEN_SPEC, RenderSpec
from ..render.typeset import write_pdf

PAGE_DPI = 110
ZOOM_DPI = 220
WATCHED_FOLDERS = ("content", "layouts", "assets")
REVIEW_FOLDER = "review"  # the preview's comments: a change there is shown, not built


@dataclass(frozen=True)
class Pipeline:
    """How the preview lays out, writes and checks the brochure."""

    name: str
    spec: Callable[[Project], RenderSpec]
    write: Callable[[Project, Rendition], bytes]
    preflight: Callable[[Project, Rendition, bytes], list[Problem]] | None = None
    safety_zone: float = SAFETY_ZONE_MM
    drawn: tuple[RenderSpec, ...] = ()
    """The specs `write` draws from the layout (in_rgb): their photos are prepared with its own."""
    web: Callable[[Project, Rendition], dict[str, bytes]] | None = None
    """The web edition of the same layout, as its files by name (`index.html`, `photos/…`); made after the
    pages are shown, as the preflight is, so that a save shows its pages no later than without it."""


def _pages_in_rgb(project: Project, rendition: Rendition) -> bytes:
    """The pages to show: the print layout drawn in RGB with its bleed, as the standard edition
    is (render/rgb_view.py). PDFium renders it several times faster than the 300 ppi CMYK print file."""
    return in_rgb(project, rendition, SCREEN_SPEC, keep_bleed=True).plain_pdf


def _print_preflight(project: Project, rendition: Rendition, pdf: bytes) -> list[Problem]:
    [printed] = finish_print(project, rendition, PRINT)
    return list(preflight(project, rendition, printed.data, project.font_dirs).findings)


def web_files(project: Project, rendition: Rendition) -> dict[str, bytes]:
    """The web edition's files, as `publication build` writes them to dist/web/, by their names in that folder."""
    screen = rendition if rendition.spec.colour_space == "rgb" else in_rgb(project, rendition, SCREEN_SPEC)
    return {output.name.removeprefix(f"{WEB_FOLDER}/"): output.data for output in finish_web(project, screen, WEB)}


PRINT_PIPELINE = Pipeline("print", print_spec, _pages_in_rgb, _print_preflight, drawn=(SCREEN_SPEC,), web=web_files)
"""The preview's pipeline: the print layout, its pages drawn in RGB, the print preflight."""

QUICK_SPEC = RenderSpec(colour_space="rgb", bleed=3.0, ppi=150)
QUICK = Pipeline("quick", lambda project: QUICK_SPEC,
                 lambda project, rendition: write_pdf(rendition.document, rendition.identifier))
"""Screen colours and screen-resolution photos with the bleed, and no preflight: for tests of the
preview's own machinery, where the print pipeline would only add time."""
QUICK_WEB = replace(QUICK, web=web_files)
"""The quick pipeline with the web edition beside the pages."""


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem as the preview page shows it."""
    return {"message": problem.message, "severity": problem.severity.value, "page": problem.page,
            "code": problem.code.value, "where": problem.location, "area": list(problem.area) if problem.area else None}


@dataclass(frozen=True)
class PageImage:
    number: int
    png: bytes
    text: str
    pdf: bytes = field(default=b"", compare=False, repr=False)
    index: int = field(default=0, compare=False, repr=False)
    """Where the page is drawn, to draw it larger (zoom): page `index` of `pdf`."""

    @cached_property
    def digest(self) -> str:
        """Names the picture, so that a page that did not change is not fetched again."""
        return hashlib.sha256(self.png).hexdigest()[:16]


@dataclass(frozen=True)
class Edition:
    """The pages of one successful build."""

    epoch: int
    title: str
    pipeline: str
    pdf: bytes
    pages: tuple[PageImage, ...]
    geometry: Geometry
    safety_zone: float
    findings: tuple[Problem, ...]
    built_at: str
    seconds: float
    preflight_pending: bool = False
    language: str = "en"
    """The publication's language: the preview's own words follow it."""
    line_map: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    """The printed lines of each page and the source lines they come from (editions/proof.line_map)."""
    web: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    """The web edition's files by name (Pipeline.web), once made; the server serves these names and no others."""
    web_pending: bool = False
    offers_web: bool = False
    """Whether the pipeline makes a web edition at all (the print pipeline does, QUICK does not)."""


@dataclass(frozen=True)
class Snapshot:
    """What the browser shows. `failure` lists the errors of the latest build, if it failed."""

    version: int = 0
    building: bool = False
    edition: Edition | None = None
    failure: tuple[Problem, ...] = ()
    failed_at: str = ""
    review: int = 0
    """Counts the changes of the comments (review/comments.yml) since the preview started."""

    def to_json(self) -> dict[str, Any]:
        edition = self.edition
        return {
            "version": self.version,
            "building": self.building,
            "review": self.review,
            "language": edition.language if edition else "en",
            "failure": [problem_json(problem) for problem in self.failure],
            "failedAt": self.failed_at,
            "edition": None if edition is None else {
                "epoch": edition.epoch,
                "title": edition.title,
                "pipeline": edition.pipeline,
                "builtAt": edition.built_at,
                "seconds": round(edition.seconds, 2),
                "geometry": dataclasses.asdict(edition.geometry),
                "safetyZone": edition.safety_zone,
                "findings": [problem_json(problem) for problem in edition.findings],
                "preflightPending": edition.preflight_pending,
                "web": {"pending": edition.web_pending, "ready": "index.html" in edition.web} if edition.offers_web
                else None,
                "pages": [{"number": page.number, "digest": page.digest, "text": page.text}
                          for page in edition.pages],
            },
        }


def rasterise(pdf: bytes, dpi: int, numbers: list[int] | None = None,
              encoded: dict[bytes, bytes] | None = None) -> list[tuple[int, bytes, str]]:
    """(page number, PNG, page text) for the given 1-based pages of a PDF, or for all of them.

    Each picture shows the bleed box: the trimmed page and its bleed, without the slug
    and crop marks a print PDF has around them. `encoded` maps the pixels of pages drawn
    before to their PNG: encoding is most of the time here, and an edit changes few pages."""
    results = []
    for page in render_pages(pdf, dpi, numbers, box="bleed", text=True):
        picture = page.image
        key = hashlib.blake2b(repr(picture.size).encode() + picture.tobytes(), digest_size=16).digest()
        png = encoded.get(key) if encoded is not None else None
        if png is None:
            buffer = io.BytesIO()
            # Level 1 is several times faster than the default and barely larger for photos.
            picture.save(buffer, "PNG", compress_level=1)
            png = buffer.getvalue()
            if encoded is not None:
                encoded[key] = png
        results.append((page.number, png, page.text))
    return results


def _now() -> str:
    return dt.datetime.now().strftime("%H:%M:%S")


def _is_watched(root: Path):
    editors_and_tools = watchfiles.DefaultFilter()  # swap files, .git, __pycache__ and the like

    def accept(change: watchfiles.Change, path: str) -> bool:
        try:
            relative = Path(path).relative_to(root)
        except ValueError:
            return False
        return bool(relative.parts) and relative.parts[0] in (*WATCHED_FOLDERS, REVIEW_FOLDER) and \
            editors_and_tools(change, path)
    return accept


@dataclass
class Previewer:
    """Builds the project on request, one build at a time, and publishes snapshots."""

    root: Path
    pipeline: Pipeline = PRINT_PIPELINE
    dpi: int = PAGE_DPI

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self._snapshot = Snapshot()
        self._changed = threading.Condition()
        self._requested = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._recent: dict[str, tuple[Edition, PageImage]] = {}
        self._zoomed: dict[str, bytes] = {}
        self._words: dict[str, list[list[Any]]] = {}
        self._encoded: dict[bytes, bytes] = {}  # the last edition's page pictures, by their pixels
        self._drawn: tuple[tuple[Any, PageImage], ...] = ()  # the last edition's laid-out pages and their pictures
        self._editions: dict[int, Edition] = {}  # the current and the previous edition, by epoch
        self.warm = WarmBuilder()  # fonts, images and the last layout stay loaded between saves

    # --- state, for the server -------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait_for_change(self, seen_version: int, timeout: float) -> Snapshot:
        """The newest snapshot, once its version differs from `seen_version` or after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._snapshot.version != seen_version or self.stopping, timeout)
            return self._snapshot

    def wait_until(self, condition: Callable[[Snapshot], bool], timeout: float) -> Snapshot:
        with self._changed:
            self._changed.wait_for(lambda: condition(self._snapshot), timeout)
            return self._snapshot

    def page_png(self, digest: str, zoomed: bool = False) -> bytes | None:
        """A page of the current or the previous edition, by its digest."""
        found = self._recent.get(digest)
        if found is None:
            return None
        edition, page = found
        if not zoomed:
            return page.png
        png = self._zoomed.get(digest)
        if png is None:
            [(_, png, _)] = rasterise(page.pdf or edition.pdf, ZOOM_DPI, [page.index or page.number])
            self._zoomed[digest] = png
        return png

    def words(self, digest: str) -> list[list[Any]] | None:
        """The words of a page of the current or the previous edition, by its digest, each as
        [text, left, top, width, height] in mm from the top left of the trimmed page: search marks them."""
        found = self._recent.get(digest)
        if found is None:
            return None
        words = self._words.get(digest)
        if words is None:
            edition, page = found
            words = [[text, round(left / PT_PER_MM, 2), round(top / PT_PER_MM, 2), round((right - left) / PT_PER_MM, 2),
                      round((bottom - top) / PT_PER_MM, 2)]
                     for text, left, top, right, bottom in page_words(page.pdf or edition.pdf,
                                                                        page.index or page.number)]
            self._words[digest] = words
        return words

    def place(self, page: int, x_mm: float, y_mm: float, epoch: int | None = None) -> Place:
        """Where a comment placed at (x_mm, y_mm) from the top left of the trimmed page stands in the
        sources: the printed line there, or the nearest one, as `publication comments` finds it for a
        note on a proof. `epoch` names the edition the reviewer saw (the current one if it is gone)."""
        edition = self._editions.get(epoch) if epoch is not None else None
        edition = edition or self._snapshot.edition
        if edition is None:
            raise ReviewRefused(409, _("there are no pages yet to comment on; wait for the first build"))
        geometry = edition.geometry
        if not 1 <= page <= len(edition.pages):
            raise ReviewRefused(400, _("there is no page {page}; the brochure has {count}"), page=page,
                                count=len(edition.pages))
        if not (-geometry.bleed <= x_mm <= geometry.page_width + geometry.bleed
                and -geometry.bleed <= y_mm <= geometry.page_height + geometry.bleed):
            raise ReviewRefused(400, _("that place is not on the page"))
        lines = {found["page"]: found["lines"] for found in edition.line_map.get("pages", [])}.get(page, [])
        x, y = x_mm * PT_PER_MM, (geometry.page_height - y_mm) * PT_PER_MM
        nearest = lines_under(lines, [(x, y, x, y)])
        if not nearest:
            return Place(page, x_mm, y_mm, None, None, None, "")
        line = nearest[0]
        return Place(page, x_mm, y_mm, line["source"], line["line"],
                     edition.line_map.get("sources", {}).get(line["source"]) or None, line["text"])

    def review_changed(self) -> Snapshot:
        """The comments changed: every open page fetches them again."""
        return self._publish(review=self._snapshot.review + 1)

    # --- building ----------------------------------------------------------------------

    def _publish(self, **changes: Any) -> Snapshot:
        with self._changed:
            self._snapshot = replace(self._snapshot, version=self._snapshot.version + 1, **changes)
            self._changed.notify_all()
            return self._snapshot

    def _lay_out(self, epoch: int) -> tuple[Edition, list[Callable[[Edition], Edition]]]:
        """The new pages, and what is still to be done to them once they are shown: the web edition
        and the preflight, each of which gives the edition with its result."""
        started = time.perf_counter()
        project, issues = load_project(self.root)
        theme = load_theme(project.config.theme, project.asset_dirs)
        rendition = self.warm.render(project, theme, self.pipeline.spec(project), companions=self.pipeline.drawn)
        encoded = dict(self._encoded)
        check = self.pipeline.preflight
        # A page the warm layout kept (the same laid-out page, at the same number) looks as it did: only the
        # pages laid out anew (after an edit of one article, a page or two) are written and rasterised for
        # their pictures; the whole file is written after they are shown, before the preflight.
        laid_out = rendition.document.pages
        kept = {number: picture for number, ((page, picture), now) in enumerate(zip(self._drawn, laid_out), start=1)
                if page is now}
        numbers = [number for number in range(1, len(laid_out) + 1) if number not in kept]
        pdf = b""
        if check is not None and kept:
            pictured = self.pipeline.write(project, replace(
                rendition, document=rendition.document.copy([laid_out[number - 1] for number in numbers])
            )) if numbers else b""
            at = dict(zip(range(1, len(numbers) + 1), numbers))
        else:
            pdf = pictured = self.pipeline.write(project, rendition)
            at = {number: number for number in numbers}
        drawn = {at[index]: PageImage(at[index], png, text, pictured, index)
                 for index, png, text in (rasterise(pictured, self.dpi, list(at), encoded=encoded) if at else [])}
        pages = tuple(drawn.get(number) or kept[number] for number in range(1, len(laid_out) + 1))
        self._drawn = tuple(zip(laid_out, pages))
        pngs = {page.png for page in pages}
        self._encoded = {key: png for key, png in encoded.items() if png in pngs}  # this edition's pages only
        findings = tuple(dict.fromkeys([*issues, *rendition.issues]))
        web = self.pipeline.web
        mapped = json.loads(line_map(page_contents(rendition, project.config_display_path), project))
        edition = Edition(epoch, project.config.title, self.pipeline.name, pdf, pages, rendition.geometry,
                          self.pipeline.safety_zone, findings, _now(), time.perf_counter() - started,
                          preflight_pending=check is not None, language=project.config.language, line_map=mapped,
                          web_pending=web is not None, offers_web=web is not None)
        later: list[Callable[[Edition], Edition]] = []

        if web is not None:
            def make_web(shown: Edition) -> Edition:
                try:
                    files, problems = web(project, rendition), []
                except BuildFailed as failed:
                    files, problems = {}, list(failed.problems)
                except Exception as exc:  # noqa: BLE001 - a broken web edition must not take the pages away
                    message = f"the web edition could not be made: {type(exc).__name__}: {exc}"
                    files, problems = {}, [Problem("", None, message, Severity.ERROR, Code.INTERNAL)]
                return replace(shown, web=files, web_pending=False, findings=shown.findings + tuple(problems))
            later.append(make_web)

        if check is not None:
            def preflight(shown: Edition) -> Edition:
                whole = pdf
                try:
                    whole = whole or self.pipeline.write(project, rendition)  # only the new pages were written
                    found = list(check(project, rendition, whole))
                except Exception as exc:  # noqa: BLE001 - a broken check must not take the pages away
                    found = [Problem("", None, f"the preflight could not run: {type(exc).__name__}: {exc}",
                                     Severity.ERROR, Code.PREFLIGHT_CRASHED)]
                return replace(shown, pdf=whole, findings=shown.findings + tuple(found), preflight_pending=False)
            later.append(preflight)
        return edition, later

    def build_once(self) -> Snapshot:
        """Rebuild now, in the calling thread; the last good edition stays until this one succeeds.

        The pages are shown as soon as they are rasterised; the web edition and then the preflight's
        findings follow, each as soon as it is made."""
        previous = self._snapshot.edition
        self._publish(building=True)
        try:
            edition, later = self._lay_out(previous.epoch + 1 if previous else 1)
        except BuildFailed as failed:
            return self._publish(building=False, failure=failed.problems,
                                 failed_at=_now())
        except Exception as exc:  # noqa: BLE001 - the preview outlives any single bad build
            crash = Problem("", None, f"internal error: {type(exc).__name__}: {exc}", Severity.ERROR, Code.INTERNAL)
            return self._publish(building=False, failure=(crash,), failed_at=_now())
        self._recent = {page.digest: (edition, page) for page in edition.pages} | \
            ({page.digest: (previous, page) for page in previous.pages} if previous else {})
        self._zoomed = {digest: png for digest, png in self._zoomed.items() if digest in self._recent}
        self._words = {digest: words for digest, words in self._words.items() if digest in self._recent}
        self._editions = {edition.epoch: edition} | ({previous.epoch: previous} if previous else {})
        if previous and edition.web_pending:
            edition = replace(edition, web=previous.web)  # served until this build's web edition is made
        snapshot = self._publish(building=bool(later), edition=edition, failure=(), failed_at="")
        for step in later:
            edition = step(edition)
            self._editions[edition.epoch] = edition
            snapshot = self._publish(building=step is not later[-1], edition=edition)
        return snapshot

    def request_build(self) -> None:
        self._requested.set()

    def _build_loop(self) -> None:
        while not self.stopping:
            if self._requested.wait(timeout=0.5):
                self._requested.clear()
                if not self.stopping:
                    self.build_once()

    def _watch_loop(self) -> None:
        try:
            self._watch(force_polling=False)
        except Exception:  # noqa: BLE001 - e.g. the system's inotify watches are used up
            self._watch(force_polling=True)

    def _watch(self, force_polling: bool) -> None:
        review = self.root / REVIEW_FOLDER
        for changes in watchfiles.watch(self.root, watch_filter=_is_watched(self.root), stop_event=self._stopping,
                                        debounce=800, step=100, force_polling=force_polling):
            paths = [Path(path) for _, path in changes]
            if any(review in path.parents for path in paths):
                self.review_changed()
            if any(review not in path.parents for path in paths):
                self.request_build()

    def start(self) -> None:
        """Build once, then rebuild whenever a file in content/, layouts/ or assets/ changes."""
        for target in (self._build_loop, self._watch_loop):
            thread = threading.Thread(target=target, name=f"preview-{target.__name__.strip('_')}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.request_build()

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
