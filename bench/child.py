"""What the benchmark runs in a child process, so that each run starts cold.

    python3 bench/child.py build ROOT [--target NAME ...]
    python3 bench/child.py warm ROOT --article FILE --word WORD --runs N

Prints one JSON object on stdout. `build` is what `publication build` does, plus the
counts the benchmark checks (pages, photos processed); `warm` keeps one process and one
WarmBuilder, edits one word in one article N times and times each rebuild.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publication import build as building  # noqa: E402 - registers the targets of this checkout
from publication.targets import TARGETS  # noqa: E402


def build_once(root: Path, targets: list[str]) -> dict:
    started = time.perf_counter()
    result = building.build(root, building.BuildOptions(targets=tuple(targets) or None))
    return {
        "seconds": time.perf_counter() - started,
        "pages": result.pages,
        "targets": [path.name for path in result.written],
        "available_targets": sorted(TARGETS),
        "images": sum(len(rendition.images) for rendition in result.renditions),
        "images_processed": sum(rendition.images_processed for rendition in result.renditions),
        "renders": len(result.renditions),
    }


def warm_rebuilds(root: Path, article: str, word: str, runs: int) -> dict:
    from publication.warm import WarmBuilder

    warm = WarmBuilder()
    options = building.BuildOptions(targets=("standard",))
    started = time.perf_counter()
    warm.build(root, options)
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
            wall, cpu = time.perf_counter(), time.process_time()
            warm.build(root, options)
            stats = warm.last
            rebuilds.append({"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                             "mode": stats.mode, "pages_laid_out": stats.pages_laid_out,
                             "pages_reused": stats.pages_reused, "layout_seconds": stats.seconds})
    finally:
        path.write_text(original, encoding="utf-8")
    return {"first_seconds": first, "rebuilds": rebuilds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["build", "warm"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--target", action="append", default=[])
    parser.add_argument("--article")
    parser.add_argument("--word")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.mode == "build":
        report = build_once(args.root, args.target)
    else:
        report = warm_rebuilds(args.root, args.article, args.word, args.runs)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
