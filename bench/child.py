"""What the benchmark runs in a child process, so that each run starts cold.

    python3 bench/child.py build ROOT [--target NAME ...]
    python3 bench/child.py warm ROOT --article FILE --word WORD --runs N [--via-preview]
    python3 bench/child.py profile ROOT --article FILE --word WORD
    python3 bench/child.py profile-all ROOT

Prints one JSON object on stdout. `build` is what `publication build` does, plus the
counts the benchmark checks (pages, photos processed); `warm` keeps one process and one
WarmBuilder, edits one word in one article N times and times each rebuild; `profile`
runs a cold and then a warm build under cProfile and sums the time per stage;
`profile-all` profiles the default build with every edition made in this one process.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_started = time.process_time()
import weasyprint  # noqa: E402, F401 - timed: WeasyPrint's own start-up

_weasyprint_imported = time.process_time()
from publication.commands import build as building  # noqa: E402 - the build of this checkout
from publication.editions import EDITIONS  # noqa: E402

IMPORT_CPU = {"weasyprint": _weasyprint_imported - _started, "publication": time.process_time() - _weasyprint_imported}

# Stages of a build, as (label, file path ending, function name); cumulative time, so nested ones overlap.
STAGES = (
    ("whole build", "publication/commands/build.py", "build"),
    ("load and check content", "publication/content/project.py", "load_project"),
    ("theme", "publication/config/theme.py", "load_theme"),
    ("Markdown (photos included)", "publication/content/markdown.py", "render_article"),
    ("photos: cache look-ups and processing", "publication/render/images.py", "prepare"),
    ("HTML from the layouts (Jinja2)", "publication/render/html.py", "render_document"),
    ("WeasyPrint: parse HTML and CSS, cascade", "weasyprint/css/__init__.py", "get_all_computed_styles"),
    ("WeasyPrint: build boxes", "weasyprint/formatting_structure/build.py", "build_formatting_structure"),
    ("WeasyPrint: lay out pages", "weasyprint/layout/__init__.py", "layout_document"),
    ("WeasyPrint: write the PDF", "weasyprint/document.py", "write_pdf"),
    ("write dist/ (atomic, fsync)", "publication/core/dist.py", "write_outputs"),
)
FINISHING = (
    ("whole build", "publication/commands/build.py", "build"),
    ("the one layout (photos, Markdown, HTML, WeasyPrint)", "publication/render/rendition.py", "render"),
    ("RGB photos for the drawn editions", "publication/render/rendition.py", "in_rgb"),
    ("print file: WeasyPrint writes it, pikepdf finishes it", "publication/editions/press.py", "finish_print"),
    ("standard edition: drawn in RGB and written", "publication/editions/standard.py", "finish_standard"),
    ("screen edition: written tagged, finished", "publication/editions/screen.py", "finish_screen"),
    ("booklet: imposed", "publication/editions/booklet.py", "finish_booklet"),
    (
        "preflight: checks of the pages and the file (and the wait for the ink check)",
        "publication/preflight/__init__.py",
        "preflight",
    ),
    ("preflight: report with page pictures", "publication/preflight/html.py", "report_outputs"),
    ("WeasyPrint: all PDF writing", "weasyprint/document.py", "write_pdf"),
    ("write dist/ (atomic, fsync)", "publication/core/dist.py", "write_outputs"),
)


def cpu_time() -> float:
    """CPU time of this process and of the children it has waited for (the forked child that writes the other
    editions, the photo workers, Ghostscript), as getrusage counts them."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def build_once(root: Path, targets: list[str]) -> dict:
    started = time.perf_counter()
    result = building.build(root, building.BuildOptions(targets=tuple(targets) or None))
    return {
        "seconds": time.perf_counter() - started,
        "pages": result.pages,
        "targets": [path.name for path in result.written],
        "target_names": [target.name for target in building.resolve_editions(tuple(targets) or None)],
        "available_targets": sorted(EDITIONS),
        "images": sum(len(rendition.images) for rendition in result.renditions),
        "images_processed": sum(rendition.images_processed for rendition in result.renditions),
        "renders": len({id(rendition.document) for rendition in result.renditions}),
        "ppi": [rendition.spec.ppi for rendition in result.renditions],
        # each prepared photo as the HTML links it (relative to dist/) -> its original, for a bare WeasyPrint run
        "originals": {os.path.relpath(image.output, result.project.dist_dir): str(image.request.path)
                      for rendition in result.renditions for image in rendition.images},
    }


def warm_rebuilds(root: Path, article: str, word: str, runs: int, via_preview: bool = False) -> dict:
    """Rebuild after each edit, with a WarmBuilder or, `via_preview`, with the live preview's own Previewer."""
    if via_preview:
        from publication.preview.model import Previewer

        previewer = Previewer(root)
        # The preview shows the new pages as soon as they are drawn and the preflight's findings after:
        # note the clocks when the pages are published.
        shown: dict[str, float] = {}
        publish = previewer._publish

        def noting_publish(**changes):
            if changes.get("edition") is not None and not shown:
                shown.update(wall=time.perf_counter(), cpu=cpu_time())
            return publish(**changes)

        previewer._publish = noting_publish

        def rebuild() -> dict:
            shown.clear()
            wall, cpu = time.perf_counter(), cpu_time()
            snapshot = previewer.build_once()
            if snapshot.edition is None or snapshot.failure:
                raise SystemExit(f"the preview's build failed: {snapshot.failure}")
            stats = getattr(getattr(previewer, "warm", None), "last", None)  # when the preview uses a WarmBuilder
            return {
                "mode": getattr(stats, "mode", "preview"),
                "pages_laid_out": getattr(stats, "pages_laid_out", 0),
                "pages_reused": getattr(stats, "pages_reused", 0),
                "pages": len(snapshot.edition.pages),
                "pages_seconds": shown["wall"] - wall,
                "pages_cpu": shown["cpu"] - cpu,
            }
    else:
        from publication.commands.warm import WarmBuilder

        warm = WarmBuilder()
        options = building.BuildOptions(targets=("standard",))

        def rebuild() -> dict:
            warm.build(root, options)
            stats = warm.last
            return {"mode": stats.mode, "pages_laid_out": stats.pages_laid_out, "pages_reused": stats.pages_reused}

    started = time.perf_counter()
    rebuild()
    first = time.perf_counter() - started
    path = root / "content" / article
    original = path.read_text(encoding="utf-8")
    if word not in original:
        raise SystemExit(f"'{word}' is not in {path}")
    rebuilds = []
    try:
        for run in range(runs):
            # Alternate two spellings, so every rebuild sees a real change.
            path.write_text(original.replace(word, word.upper() if run % 2 == 0 else word[::-1], 1), encoding="utf-8")
            wall, cpu = time.perf_counter(), cpu_time()
            facts = rebuild()
            rebuilds.append({"seconds": time.perf_counter() - wall, "cpu": cpu_time() - cpu, **facts})
    finally:
        path.write_text(original, encoding="utf-8")
    return {"first_seconds": first, "rebuilds": rebuilds}


def profiled(run, stages_wanted=STAGES) -> dict:
    profile = cProfile.Profile()
    profile.runcall(run)
    stats = pstats.Stats(profile).stats
    stages = []
    for label, file_end, function in stages_wanted:
        seconds = sum(
            entry[3] for (path, _, name), entry in stats.items() if path.endswith(file_end) and name == function
        )
        stages.append((label, seconds))
    top = sorted(
        ((entry[2], f"{Path(path).parent.name}/{Path(path).name}:{name}") for (path, _, name), entry in stats.items()),
        reverse=True,
    )[:12]
    return {"stages": stages, "top": top}


def profile_builds(root: Path, article: str, word: str) -> dict:
    import os

    from publication.commands.warm import WarmBuilder
    from publication.core.second_core import SERIAL_ENV

    os.environ[SERIAL_ENV] = "1"  # all the work in this process, where cProfile sees it

    warm = WarmBuilder()
    options = building.BuildOptions(targets=("standard",))
    cold = profiled(lambda: warm.build(root, options))
    path = root / "content" / article
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace(word, word.upper(), 1), encoding="utf-8")
    try:
        rebuilt = profiled(lambda: warm.build(root, options))
    finally:
        path.write_text(original, encoding="utf-8")
    return {"imports": IMPORT_CPU, "cold": cold, "warm": rebuilt, "warm_mode": warm.last.mode}


def profile_default_build(root: Path) -> dict:
    import os

    from publication.core.second_core import SERIAL_ENV

    os.environ[SERIAL_ENV] = "1"  # the editions a forked child would make are made here, where cProfile sees them
    return profiled(lambda: building.build(root, building.BuildOptions()), FINISHING)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["build", "warm", "profile", "profile-all"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--target", action="append", default=[])
    parser.add_argument("--article")
    parser.add_argument("--word")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--via-preview", action="store_true")
    args = parser.parse_args()
    if args.mode == "build":
        report = build_once(args.root, args.target)
    elif args.mode == "warm":
        report = warm_rebuilds(args.root, args.article, args.word, args.runs, args.via_preview)
    elif args.mode == "profile-all":
        report = profile_default_build(args.root)
    else:
        report = profile_builds(args.root, args.article, args.word)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
