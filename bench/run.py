"""The benchmark: our build against WeasyPrint's own CLI and against Vivliostyle, side by side.

    python3 bench/run.py [--runs 3] [--scaling-runs N] [--pages 200] [--no-peer] [--output bench/results.md]
    python3 bench/run.py --cold-only --runs 1 --output /tmp/cold.md     # only the cold-build rows
    python3 bench/run.py --overhead-only --runs 5 --output /tmp/o.md     # only `--target standard` vs weasyprint

Everything runs in a scratch folder (photos upscaled to 24 megapixels included), never in
the repository. Each figure is timed in fresh child processes, the runs of the compared
commands interleaved so that load from elsewhere on the machine hits both alike. CPU time
and peak RSS come from os.wait4, which counts the children the measured process waited
for (the photo pool's workers, Ghostscript) as getrusage(RUSAGE_CHILDREN) does. Prints a
table of ratios and writes it, with the machine and the versions, to bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
CHILD = REPO / "bench" / "child.py"
PEER_DIR = Path.home() / ".cache" / "publication-bench" / "vivliostyle"
PEER_PACKAGE = "@vivliostyle/cli@11"
TARGET_PAGES = 200
PHOTO_PIXELS = 24_000_000
REQUIRED_PPI = 300
# One word in one article, for the warm rebuilds: an article in the middle, and the first one.
EDITS = (("middle article", "03-bruggenbouwers.md", "dorp"), ("first article", "01-sociale-innovatie.md", "regio"))


# --- measuring ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float
    report: dict


@dataclass
class Figure:
    """The runs of one command."""

    label: str
    runs: list[Run] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    before: Callable[[], None] | None = None
    """Run, untimed, before each run: a cold build removes the project's .cache/ here."""

    @property
    def walls(self) -> list[float]:
        return [run.wall for run in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(run.rss_mb for run in self.runs)

    def spread(self) -> str:
        return f"{min(self.walls):.2f}–{max(self.walls):.2f}"


def measure(command: list[str], cwd: Path | None = None, **environment: str) -> Run:
    """Run a command to the end; its wall time, CPU time and peak RSS (children it waited for included)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err,
                                   env={**child_environment(), **environment})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({process.returncode}):\n{stderr[-3000:]}")
    report = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip().startswith("{") else {}
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report)


PYCACHE: list[Path] = []
"""Where the children keep Python's compiled modules (in the scratch folder), once main() has set it."""


def child_environment() -> dict[str, str]:
    """The children run as a user's commands do, with Python's compiled modules cached: a session here may
    set PYTHONDONTWRITEBYTECODE, and then every run of ours compiled our modules again (0.1 s), while
    WeasyPrint's, installed by pip, are compiled once. The cache is in the scratch folder, never in the
    repository, and filled by the warm-up runs."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(REPO) + os.pathsep + environment.get("PYTHONPATH", "")
    if PYCACHE:
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        environment["PYTHONPYCACHEPREFIX"] = str(PYCACHE[0])
    return environment


def ours(root: Path, *targets: str) -> list[str]:
    """The build through the Python API, reporting pages and photos processed (bench/child.py)."""
    return [sys.executable, str(CHILD), "build", str(root), *[f"--target={name}" for name in targets]]


def cli(root: Path, *targets: str) -> list[str]:
    """`publication build`, as a user runs it."""
    return [sys.executable, "-m", "publication", "build", str(root), *[f"--target={name}" for name in targets]]


def pdf_pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def weasyprint_cli(html: Path, pdf: Path) -> list[str]:
    # The CLI of the same interpreter: `weasyprint` is a pyenv shim here, whose start-up is not WeasyPrint's.
    return [sys.executable, "-m", "weasyprint", str(html), str(pdf)]


def interleave(runs: int, figures: list[tuple[Figure, list[str]]], progress: str) -> None:
    for number in range(runs):
        for figure, command in figures:
            print(f"  {progress} run {number + 1}/{runs}: {figure.label}", flush=True)
            if figure.before:
                figure.before()
            figure.runs.append(measure(command, **figure.environment))


# --- projects ----------------------------------------------------------------------------

def keep_html(sample: Path, name: str, build_report: dict) -> Path:
    """A copy of the HTML the build typeset, beside dist/ so its relative links still work: the
    builds that run later overwrite dist/<slug>.html. (The other HTML in dist/ is the preflight report.)"""
    typeset = next(written for written in build_report["targets"]
                   if written.endswith(".html") and not written.endswith("-preflight.html"))
    kept = sample / "bench-html" / f"{name}.html"
    kept.parent.mkdir(exist_ok=True)
    shutil.copyfile(sample / "dist" / typeset, kept)
    return kept


def originals_html(sample: Path, name: str, kept: Path, build_report: dict) -> Path:
    """The kept HTML with each prepared photo replaced by its original: what bare WeasyPrint would be
    given by a user who places the photos they have."""
    html = kept.read_text(encoding="utf-8")
    for prepared, original in build_report["originals"].items():
        html = html.replace(prepared, os.path.relpath(original, kept.parent))
    placed = kept.with_name(f"{name}.html")
    placed.write_text(html, encoding="utf-8")
    return placed


REPLACED_PHOTO = "dorp.jpg"
"""The photo the one-photo row replaces: a full-width photo in the middle of the sample."""


def cold_rows(args, sample: Path, default_build: dict, default_html: Path) -> tuple[list[Row], list[str]]:
    """The build a user waits for most: the first one (no .cache/), against the same build warm and against
    bare WeasyPrint on HTML that places the original photos."""
    def remove_cache() -> None:
        shutil.rmtree(sample / ".cache", ignore_errors=True)

    replaced = sample / "content" / "photos" / REPLACED_PHOTO
    edits = iter(range(1, 1000))

    def replace_photo() -> None:
        """A photographer's new version of one photo: the same picture with other pixels, so every version
        of it is made again (prepared photos are found by the digest of the original's bytes)."""
        with Image.open(replaced) as original:
            changed = original.convert("RGB")
        changed.putpixel((0, 0), (next(edits) % 256, 0, 0))
        changed.save(replaced, quality=92)

    originals = originals_html(sample, "originals", default_html, default_build)
    cold = Figure("publication build (default targets), cold: no .cache/", before=remove_cache)
    warm = Figure("publication build (default targets), warm: .cache/ filled by the cold run before it")
    one_photo = Figure(f"publication build (default targets), warm but for one replaced photo ({REPLACED_PHOTO})",
                       before=replace_photo)
    bare = Figure("weasyprint CLI on the default build's HTML with the original photos")
    commands = [(cold, cli(sample)), (warm, cli(sample)), (one_photo, cli(sample)),
                (bare, weasyprint_cli(originals, sample / "originals.pdf"))]
    interleave(args.runs, commands, "cold")
    rows = [
        compare("cold build (first build, new photos) vs the same build warm", cold, warm, 1.5),
        compare("one photo replaced (its print, screen and web versions made anew) vs the same build warm",
                one_photo, warm, None),
        compare("cold build vs `weasyprint` on its HTML placing the original photos", cold, bare, None),
    ]
    facts = [
        f"Cold build's peak memory: {cold.rss_mb:.0f} MB (target ≤ 400 MB: "
        f"{'met' if cold.rss_mb <= 400 else 'NOT MET'}; the largest process, the photo pool's workers and "
        f"Ghostscript included); the warm build's {warm.rss_mb:.0f} MB. {len(default_build['originals'])} "
        f"photo versions placed, from {len(set(default_build['originals'].values()))} originals.",
        floor_on_these_cores(cold, warm),
    ]
    return rows, facts


def floor_on_these_cores(cold: Figure, warm: Figure) -> str:
    """How fast the cold build could be if every core worked all the time: no faster than its CPU time shared
    among the cores (all of them busy, nothing waiting), as a ratio to the warm build."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    least = cold.cpu / count
    return (f"Cold build's CPU time shared among this machine's {count} cores: {cold.cpu:.2f} s ÷ {count} = "
            f"{least:.2f} s, {least / warm.median:.2f}× the warm build's wall time: the least cold ÷ warm could be "
            f"here with every core busy from start to end (measured: {cold.median / warm.median:.2f}×); only less "
            "CPU time brings it lower.")


def overhead_rows(args, sample: Path, html: Path, scratch: Path) -> tuple[list[Row], list[str]]:
    """What we add to WeasyPrint for one edition, alone: `--target standard` against `weasyprint` on its HTML."""
    standard = Figure("publication build --target standard")
    plain = Figure("weasyprint CLI on our HTML")
    commands = [(standard, cli(sample, "standard")), (plain, weasyprint_cli(html, scratch / "weasyprint.pdf"))]
    interleave(args.runs, commands, "overhead")
    row = compare("overhead: `publication build --target standard` vs `weasyprint` on its HTML", standard, plain, 1.10)
    cpus = ", ".join(f"{run.cpu:.2f}" for run in standard.runs)
    references = ", ".join(f"{run.cpu:.2f}" for run in plain.runs)
    return [row], [f"Overhead runs' CPU, in the order run: ours {cpus}; weasyprint {references}."]


CHROMIUM = Path("/usr/bin/chromium")
BUSY_LOOP = "while True: pass"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def preview_in_browser(args, sample: Path) -> tuple[list[Row], list[str]]:
    """Save to pixels, as a user waits for them: `publication preview` running, its page open in Debian's
    Chromium (Playwright), and one busy process loading the other core, as on a shared laptop. A word of an
    article is changed and saved; timed from just before the save to the first frame in which the page shows
    the new edition (the preview's script swaps the pages in only once their new pictures are decoded), and
    to the frame in which it says the print preflight's findings are in (its status "ok": "Up to date")."""
    from playwright.sync_api import sync_playwright

    label, article, word = EDITS[0]
    path = sample / "content" / article
    original = path.read_text(encoding="utf-8")
    port = free_port()
    preview = subprocess.Popen([sys.executable, "-m", "publication", "preview", str(sample), "--port", str(port)],
                               env=child_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    shown = Figure("preview: save to the new pages' pixels in Chromium, one busy process beside it")
    checked = Figure("preview: save to the print preflight's findings shown")
    stamp = "performance.timeOrigin + performance.now()"
    up_to_date = "document.body.dataset.state === 'ok'"  # the status's words follow the publication's language
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            # the preview's Content-Security-Policy refuses eval, which Playwright's waiting for a condition uses
            page = browser.new_page(viewport={"width": 1440, "height": 900}, bypass_csp=True)
            page.set_default_timeout(180_000)
            deadline = time.monotonic() + 120
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/")
                    break
                except Exception:  # noqa: BLE001 - the server is not listening yet
                    if time.monotonic() > deadline or preview.poll() is not None:
                        raise
                    time.sleep(0.2)
            page.wait_for_function(f"Number(document.body.dataset.epoch) >= 1 && {up_to_date}")
            for run in range(args.runs):
                print(f"  preview in Chromium, run {run + 1}/{args.runs}", flush=True)
                epoch = int(page.evaluate("document.body.dataset.epoch"))
                page.evaluate("window.shownAt = 0; window.checkedAt = 0")
                changed = original.replace(word, word.upper() if run % 2 == 0 else word[::-1], 1)
                saved = time.time()
                path.write_text(changed, encoding="utf-8")
                page.wait_for_function(f"Number(document.body.dataset.epoch) > {epoch} && "
                                       f"(window.shownAt = window.shownAt || {stamp})", polling="raf")
                page.wait_for_function(f"window.shownAt && {up_to_date} && (window.checkedAt = {stamp})",
                                       polling="raf")
                at = page.evaluate("[window.shownAt, window.checkedAt]")
                shown.runs.append(Run(at[0] / 1000 - saved, 0.0, 0.0, {}))
                checked.runs.append(Run(at[1] / 1000 - saved, 0.0, 0.0, {}))
            browser.close()
    finally:
        path.write_text(original, encoding="utf-8")
        for process in (busy, preview):
            process.terminate()
            process.wait(timeout=30)
    met = "yes" if shown.median <= 1.0 else "no"
    rows = [Row("live preview in Chromium under load: save to the new pages' pixels (one busy process on the other "
                f"core; one word in the {label})", f"{shown.median:.2f} s ({shown.spread()})", "—", None, None,
                "≤ 1.00 s", f"{met} / —", "—"),
            Row("live preview in Chromium under load: save to the print preflight's findings shown",
                f"{checked.median:.2f} s ({checked.spread()})", "—", None, None, "—", "—", "—")]
    facts = [f"Preview in Chromium: load average {load_average()} after the runs (the busy process included)."]
    return rows, facts


def copy_sample(destination: Path) -> Path:
    shutil.copytree(REPO / "content", destination / "content")
    return destination


def repeat_articles(sample: Path, destination: Path, times: int) -> Path:
    """The sample with its articles repeated `times` times: a long brochure with the same photos."""
    root = copy_sample(destination)
    config_path = root / "content" / "publication.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    articles = []
    for copy in range(times):
        for name in config["articles"]:
            new = f"{Path(name).stem}-{copy:02d}.md"
            shutil.copyfile(root / "content" / name, root / "content" / new)
            articles.append(new)
    config["articles"] = articles
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def upscale_photos(root: Path, pixels: int) -> list[tuple[str, tuple[int, int]]]:
    """Replace every photo in the project by one of about `pixels` pixels (only ever in a scratch folder)."""
    made = []
    for path in sorted((root / "content" / "photos").glob("*.jpg")):
        with Image.open(path) as image:
            scale = (pixels / (image.width * image.height)) ** 0.5
            size = (round(image.width * scale), round(image.height * scale))
            extra = {key: image.info[key] for key in ("icc_profile", "exif") if key in image.info}
            image.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(path, "JPEG", quality=90, **extra)
        made.append((path.name, size))
    return made


# --- the photo size check ----------------------------------------------------------------

@dataclass(frozen=True)
class PhotoBytes:
    pdf_bytes: int
    image_bytes: int
    required_bytes: float
    lowest_ppi: float
    highest_ppi: float

    @property
    def ratio(self) -> float:
        return self.pdf_bytes / self.required_bytes


def photo_bytes(pdf: Path, ppi: float) -> PhotoBytes:
    """The PDF's size against the same PDF with every photo at exactly `ppi` at its placed size.

    pdfimages gives each placed image's resolution; scaling its stored bytes by
    (ppi / x-ppi) * (ppi / y-ppi) estimates what it would take at `ppi`, at the same
    JPEG quality. The rest of the PDF (text, fonts, vectors) counts as it is.
    """
    import pikepdf

    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    lowest: dict[int, tuple[float, float]] = {}
    for line in listing.splitlines()[2:]:
        cells = line.split()
        if len(cells) < 14 or cells[2] == "smask":
            continue
        number, x_ppi, y_ppi = int(cells[10]), float(cells[12]), float(cells[13])
        seen = lowest.get(number)
        if seen is None or x_ppi * y_ppi < seen[0] * seen[1]:
            lowest[number] = (x_ppi, y_ppi)  # the largest placement of an image decides what it needs
    image_bytes = 0
    required = 0.0
    with pikepdf.open(pdf) as document:
        for number, (x_ppi, y_ppi) in lowest.items():
            size = len(document.get_object((number, 0)).read_raw_bytes())
            image_bytes += size
            required += size * (ppi / x_ppi) * (ppi / y_ppi)
    total = pdf.stat().st_size
    ppis = [min(pair) for pair in lowest.values()] or [0.0]
    return PhotoBytes(total, image_bytes, total - image_bytes + required, min(ppis), max(ppis))


# --- the peer ----------------------------------------------------------------------------

def install_peer(log: list[str]) -> Path | None:
    """Vivliostyle CLI in a cache folder outside the repository; None with a reason logged if it cannot be."""
    executable = PEER_DIR / "node_modules" / ".bin" / "vivliostyle"
    if executable.exists():
        return executable
    if not shutil.which("npm"):
        log.append("Vivliostyle skipped: npm is not installed.")
        return None
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    (PEER_DIR / "package.json").write_text('{"private": true}\n')
    print(f"  installing {PEER_PACKAGE} into {PEER_DIR} (once)", flush=True)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", PEER_PACKAGE], cwd=PEER_DIR,
                          capture_output=True, text=True, timeout=400)
    if done.returncode != 0 or not executable.exists():
        log.append(f"Vivliostyle skipped: `npm install {PEER_PACKAGE}` failed: {done.stderr.strip()[-300:]}")
        return None
    return executable


def peer_copy(html: Path, project: Path, destination: Path) -> Path:
    """The same HTML in a folder of its own: Vivliostyle serves only files under its root, not dot-folders."""
    destination.mkdir(parents=True)
    shutil.copytree(REPO / "assets", destination / "assets")
    shutil.copytree(project / ".cache" / "images", destination / "images")
    assets_url = Path(os.path.relpath(REPO / "assets", html.parent)).as_posix()
    text = html.read_text(encoding="utf-8")
    text = text.replace('"../.cache/images/', '"images/').replace(f'"{assets_url}/', '"assets/')
    copy = destination / "index.html"
    copy.write_text(text, encoding="utf-8")
    return copy


def vivliostyle(executable: Path, html: Path, pdf: Path) -> list[str]:
    return [str(executable), "build", str(html), "-o", str(pdf), "--executable-browser", "/usr/bin/chromium",
            "--log-level", "silent"]


# --- the machine -------------------------------------------------------------------------

def command_output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not found"


def machine() -> list[tuple[str, str]]:
    import PIL
    import pydyf
    import weasyprint
    from weasyprint.text.ffi import pango

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    return [
        ("machine", f"{cpu}, {os.cpu_count()} cores, {int(memory) / 1024 / 1024:.1f} GiB"),
        ("system", platform.platform()),
        ("Python", platform.python_version()),
        (
            "WeasyPrint",
            f"{weasyprint.__version__} (pydyf {pydyf.__version__}, Pango {pango.pango_version() / 10000:.4f})",
        ),
        ("Pillow", PIL.__version__),
        ("Node", command_output(["node", "--version"])),
        (
            "Vivliostyle CLI",
            command_output([str(PEER_DIR / "node_modules" / ".bin" / "vivliostyle"), "--version"]).replace("\n", ", ")
            or "not installed",
        ),
        ("Chromium", command_output(["/usr/bin/chromium", "--version"])),
        ("publication", command_output(["git", "-C", str(REPO), "describe", "--always", "--dirty"])),
    ]


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    figure: str
    subject: str
    reference: str
    ratio: float | None
    cpu_ratio: float | None
    target: str
    met: str
    peak_rss: str


def compare(
    figure: str,
    subject: Figure,
    reference: Figure,
    target: float | None,
    per: tuple[float, float] = (1, 1),
    subject_cpu: float | None = None,
) -> Row:
    """A row: subject against reference, per page when `per` gives the page counts."""
    ratio = (subject.median / per[0]) / (reference.median / per[1])
    cpu = subject.cpu if subject_cpu is None else subject_cpu
    cpu_ratio = (cpu / per[0]) / (reference.cpu / per[1]) if reference.cpu else None
    met = "—"
    if target:
        met = f"{'yes' if ratio <= target else 'no'} / " + (
            "—" if cpu_ratio is None else "yes" if cpu_ratio <= target else "no"
        )
    return Row(
        figure,
        f"{subject.median:.2f} s ({subject.spread()})",
        f"{reference.median:.2f} s ({reference.spread()})",
        ratio,
        cpu_ratio,
        f"≤ {target:.2f}×" if target else "—",
        met,
        f"{subject.rss_mb:.0f} / {reference.rss_mb:.0f} MB",
    )


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| figure | ours: median (min–max) | reference: median (min–max) | ratio (wall) | ratio (CPU) | "
        "target | met (wall / CPU) | peak RSS ours / reference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        cpu = "—" if row.cpu_ratio is None else f"{row.cpu_ratio:.2f}×"
        lines.append(
            f"| {row.figure} | {row.subject} | {row.reference} | {ratio} | {cpu} | {row.target} | "
            f"{row.met} | {row.peak_rss} |"
        )
    return lines


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the benchmark -----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each figure (default 3)")
    parser.add_argument("--scaling-runs", type=int, default=None, help="runs of the ~200-page build (default: --runs)")
    parser.add_argument("--pages", type=int, default=TARGET_PAGES, help="length of the long brochure (default 200)")
    parser.add_argument("--no-peer", action="store_true", help="skip Vivliostyle")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results.md", help="default: bench/results.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and print its path")
    parser.add_argument("--cold-only", action="store_true", help="only the cold-build rows (cold vs warm, cold vs "
                        "weasyprint on the original photos, cold peak memory)")
    parser.add_argument("--preview-only", action="store_true", help="only the live preview in Chromium under load "
                        "(save to pixels)")
    parser.add_argument("--overhead-only", action="store_true", help="only the overhead row (`publication build "
                        "--target standard` vs weasyprint on its HTML)")
    args = parser.parse_args()
    args.scaling_runs = args.scaling_runs or args.runs

    started = time.perf_counter()
    load_before = load_average()
    notes: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="publication-bench-"))
    PYCACHE.append(scratch / "pycache")
    try:
        rows, facts = run_all(args, scratch, notes)
    finally:
        if args.keep:
            print(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - started

    lines = table(rows)
    print("\n".join(["", *lines, "", *facts, *notes, f"Whole benchmark: {seconds:.0f} s."]))
    args.output.write_text(report(args, lines, facts, notes, seconds, load_before), encoding="utf-8")
    print(f"wrote {args.output}")


def run_all(args, scratch: Path, notes: list[str]) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    facts: list[str] = []
    sample = copy_sample(scratch / "sample")
    print("warming up: the sample once per command, to fill the caches and produce the HTML", flush=True)
    warmup = measure(ours(sample, "standard")).report
    html = keep_html(sample, "standard", warmup)
    measure(weasyprint_cli(html, scratch / "warm-up.pdf"))  # its modules compiled into the children's cache too
    default_build = measure(ours(sample)).report  # which targets, from how many layouts
    default_html = keep_html(sample, "default", default_build)
    if args.cold_only:
        return cold_rows(args, sample, default_build, default_html)
    if args.preview_only:
        return preview_in_browser(args, sample)
    if args.overhead_only:
        return overhead_rows(args, sample, html, scratch)
    with_proof = [*default_build["target_names"], "proof"]
    measure(ours(sample, *with_proof))
    pages = warmup["pages"]

    # Overhead, all targets and the peer, interleaved.
    standard = Figure("publication build --target standard")
    plain = Figure("weasyprint CLI on our HTML")
    everything = Figure("publication build (default targets)")
    plain_default = Figure("weasyprint CLI on the default build's HTML")
    proofed = Figure("publication build, default targets and the proof")
    one_core = Figure("publication build (default targets), one process", environment={"PUBLICATION_SERIAL": "1"})
    commands = [
        (standard, cli(sample, "standard")),
        (plain, weasyprint_cli(html, scratch / "weasyprint.pdf")),
        (everything, cli(sample)),
        (plain_default, weasyprint_cli(default_html, scratch / "default.pdf")),
        (proofed, cli(sample, *with_proof)),
        (one_core, cli(sample)),
    ]
    peer = None if args.no_peer else install_peer(notes)
    if args.no_peer:
        notes.append("Vivliostyle skipped: --no-peer.")
    if peer:
        peer_figure = Figure("Vivliostyle CLI on our HTML")
        commands.append(
            (peer_figure, vivliostyle(peer, peer_copy(html, sample, scratch / "peer"), scratch / "peer.pdf"))
        )
    interleave(args.runs, commands, "sample")
    rows.append(
        compare("overhead: `publication build --target standard` vs `weasyprint` on its HTML", standard, plain, 1.10)
    )
    rows.append(
        compare(
            f"all targets ({', '.join(default_build['target_names'])}, preflight) vs one `weasyprint` "
            "on the HTML they are laid out from",
            everything,
            plain_default,
            1.5,
        )
    )
    rows.append(compare("all targets and the proof vs one `weasyprint` on the same HTML", proofed, plain_default, 1.5))
    rows.append(
        compare(
            "all targets in one process (`PUBLICATION_SERIAL=1`: no second core) vs the same `weasyprint`",
            one_core,
            plain_default,
            None,
        )
    )
    rows.append(
        compare(
            "all targets vs one `weasyprint` on the standard edition's HTML (RGB, 150 ppi, no bleed)",
            everything,
            plain,
            None,
        )
    )
    facts.append(
        f"Sample: {pages} pages. Targets available: {', '.join(warmup['available_targets'])}; the default "
        f"build makes {', '.join(default_build['target_names'])} from {default_build['renders']} WeasyPrint "
        f"layout(s) and writes {', '.join(default_build['targets'])}. The proof is not in the default build "
        "(it carries the clock, and a rebuild must give the same bytes); `--target proof` adds it."
    )
    if peer:
        rows.append(compare("peer: Vivliostyle CLI vs `weasyprint` on the same HTML", peer_figure, plain, None))
        rows.append(compare("peer: our standard build vs Vivliostyle CLI", standard, peer_figure, None))

    # Warm rebuilds: one process, one word changed in one article, against a cold build.
    for label, article, word in EDITS:
        print(f"  warm rebuilds, one word in the {label}", flush=True)
        run = measure(
            [
                sys.executable,
                str(CHILD),
                "warm",
                str(sample),
                "--article",
                article,
                "--word",
                word,
                "--runs",
                str(args.runs),
            ]
        )
        rebuilds = run.report["rebuilds"]
        warm = Figure(
            f"warm rebuild, {label}", [Run(item["seconds"], item["cpu"], run.rss_mb, item) for item in rebuilds]
        )
        rows.append(compare(f"warm rebuild, one word in the {label}, vs a cold build", warm, standard, 0.5))
        modes = sorted(
            {f"{item['mode']} ({item['pages_laid_out']} laid out, {item['pages_reused']} reused)" for item in rebuilds}
        )
        facts.append(
            f"Warm rebuilds ({label}): {'; '.join(modes)}; the first build in that process took "
            f"{run.report['first_seconds']:.2f} s."
        )

    label, article, word = EDITS[0]
    print(f"  the live preview's rebuilds, one word in the {label}", flush=True)
    run = measure(
        [
            sys.executable,
            str(CHILD),
            "warm",
            str(sample),
            "--article",
            article,
            "--word",
            word,
            "--runs",
            str(args.runs),
            "--via-preview",
        ]
    )
    rebuilds = run.report["rebuilds"]
    shown = Figure(
        "preview: pages shown",
        [Run(item["pages_seconds"], item["pages_cpu"], run.rss_mb, item) for item in rebuilds],
    )
    preview = Figure("preview rebuild", [Run(item["seconds"], item["cpu"], run.rss_mb, item) for item in rebuilds])
    rows.append(
        compare(
            f"live preview, one word in the {label}: the new pages on screen (laid out, drawn, "
            "rasterised) vs a cold build",
            shown,
            standard,
            0.5,
        )
    )
    rows.append(
        compare(
            "live preview, the same edit: pages and the print preflight's findings (print file "
            "written and checked, ink included) vs a cold build",
            preview,
            standard,
            None,
        )
    )
    facts.append(
        f"Preview rebuilds: {', '.join(sorted({item['mode'] for item in rebuilds}))}; its first build "
        f"took {run.report['first_seconds']:.2f} s."
    )

    # Where the time goes: one cold and one warm build under cProfile.
    print("  profile: a cold and a warm build under cProfile", flush=True)
    profile = measure(
        [sys.executable, str(CHILD), "profile", str(sample), "--article", EDITS[0][1], "--word", EDITS[0][2]]
    ).report
    facts.extend(profile_lines(profile))
    print("  profile: the default build, serial (PUBLICATION_SERIAL=1), under cProfile", flush=True)
    facts.extend(finishing_lines(measure([sys.executable, str(CHILD), "profile-all", str(sample)]).report))

    # Scaling: a ~200-page brochure against the sample, per page.
    times = max(1, round((args.pages - 3) / max(1, pages - 3)))
    big = repeat_articles(sample, scratch / "long", times)
    shutil.copytree(sample / ".cache", big / ".cache")  # the same photos, prepared already, as for the sample
    print(f"  long brochure: the articles {times} times", flush=True)
    long = Figure("publication build --target standard, ~200 pages")
    short = Figure("publication build --target standard, the sample, between the long runs")
    interleave(args.scaling_runs, [(short, cli(sample, "standard")), (long, cli(big, "standard"))], "long")
    standard_pdf = next(name for name in warmup["targets"] if name.endswith(".pdf"))
    long_pages = pdf_pages(big / "dist" / standard_pdf)
    rows.append(
        compare(
            f"scaling: time per page, {long_pages} pages vs the sample's {pages}",
            long,
            short,
            1.25,
            per=(long_pages, pages),
        )
    )

    # Photos: 24-megapixel originals.
    photos = copy_sample(scratch / "photos")
    made = upscale_photos(photos, PHOTO_PIXELS)
    print(f"  24-megapixel photos: {len(made)} made, first build (processing) then second (cache)", flush=True)
    print_target = "print" if "print" in warmup["available_targets"] else "standard"
    first = Figure("first build, 24 MP photos", [measure(ours(photos, print_target))])
    second = Figure("second build, 24 MP photos", [measure(ours(photos, print_target))])
    rows.append(compare(f"photos: second build vs first, 24 MP originals ({print_target} target)", second, first, None))
    processed = (first.runs[0].report["images_processed"], second.runs[0].report["images_processed"])
    placed = second.runs[0].report["images"]
    facts.append(
        f"24-megapixel photos: the first build processed {processed[0]} of {placed} placed photos, the second "
        f"{processed[1]} ({'cache hits only: target met' if processed[1] == 0 else 'TARGET NOT MET'})."
    )
    pdf = photos / "dist" / next(name for name in second.runs[0].report["targets"] if name.endswith(".pdf"))
    ppi = REQUIRED_PPI if print_target == "print" else max(second.runs[0].report["ppi"])
    size = photo_bytes(pdf, ppi)
    facts.append(
        f"{print_target.capitalize()} PDF with 24 MP originals: {size.pdf_bytes / 1e6:.1f} MB, of which photos "
        f"{size.image_bytes / 1e6:.1f} MB at {size.lowest_ppi:.0f}–{size.highest_ppi:.0f} ppi as placed; "
        f"{ppi} ppi at placed size would need about {size.required_bytes / 1e6:.1f} MB: "
        f"{size.ratio:.2f}× (target ≤ 1.20×: {'met' if size.ratio <= 1.2 else 'NOT MET'})."
    )
    if print_target != "print":
        facts.append(
            f"The print target has not landed in this checkout: this is the standard target, measured "
            f"against its own {ppi} ppi instead of 300."
        )

    more_rows, more_facts = cold_rows(args, sample, default_build, default_html)
    rows, facts = rows + more_rows, facts + more_facts
    more_rows, more_facts = preview_in_browser(args, sample)
    return rows + more_rows, facts + more_facts


def profile_lines(profile: dict) -> list[str]:
    """The profile as a table in results.md (a multi-line fact)."""
    imports = profile["imports"]
    lines = [
        f"Profile (cProfile, CPU s; times inflate under the profiler, compare within a column). Start-up, "
        f"not profiled: `import weasyprint` {imports['weasyprint']:.2f} s CPU, then our own modules "
        f"{imports['publication']:.2f} s CPU. Warm rebuild: {profile['warm_mode']}.\n\n"
        "  | stage | cold build | warm rebuild (one word) |\n  |---|---|---|"
    ]
    for (label, cold), (_, warm) in zip(profile["cold"]["stages"], profile["warm"]["stages"]):
        lines[0] += f"\n  | {label} | {cold:.2f} | {warm:.2f} |"
    top = "\n".join(f"  | {name} | {seconds:.2f} |" for seconds, name in profile["cold"]["top"][:10])
    lines.append("Own time of the ten busiest functions in the cold build:\n\n  | function | s |\n  |---|---|\n" + top)
    return lines


def finishing_lines(profile: dict) -> list[str]:
    """Where the default build's time goes, every edition in this one process."""
    rows = "\n".join(f"  | {label} | {seconds:.2f} |" for label, seconds in profile["stages"])
    top = "\n".join(f"  | {name} | {seconds:.2f} |" for seconds, name in profile["top"][:10])
    return [
        f"Profile of the default build, all in one process (cProfile, CPU s; the ink check runs in its own "
        f"thread and is not in it):\n\n  | stage | s |\n  |---|---|\n{rows}",
        "Own time of the ten busiest functions in the default build:\n\n  | function | s |\n  |---|---|\n" + top,
    ]


def report(args, lines: list[str], facts: list[str], notes: list[str], seconds: float, load_before: str) -> str:
    header = [
        "# Benchmark results",
        "",
        f"`python3 bench/run.py --runs {args.runs} --scaling-runs {args.scaling_runs}"
        f"{' --no-peer' if args.no_peer else ''}`, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{seconds:.0f} s in all. Load average before: {load_before}; after: {load_average()}.",
        "",
        *[f"- **{name}:** {value}" for name, value in machine()],
        "",
        "Ratios are of medians; the ratio is ours divided by the reference, so lower is better. "
        "CPU is user + system time of the child process (and the children it waited for); on a shared "
        "machine it is steadier than wall time. Peak RSS is per process, from `os.wait4`. Every timed build "
        "runs with the caches warm (`.cache/`: photos prepared, ink measured, filled by the warm-up builds) "
        "except the cold rows, which remove `.cache/` before each run; the warm rebuilds and the preview rows "
        "are in one long-lived process, as the live preview is.",
        "",
    ]
    explained = (REPO / "bench" / "notes.md").read_text(encoding="utf-8")
    return "\n".join(
        [*header, *lines, "", *[f"- {fact}" for fact in facts], *[f"- {note}" for note in notes], "", explained]
    )


if __name__ == "__main__":
    main()
