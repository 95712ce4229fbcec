"""A live preview running in a background thread, for the preview's tests."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from publication.core.problems import Code, Problem, Severity
from publication.preflight.report import finding
from publication.preview.model import QUICK, Pipeline, Previewer, Snapshot
from publication.preview.server import PreviewServer

# Generous bounds that only stop a broken test from hanging; they do not measure speed.
BUILD_WAIT = 120.0


@contextmanager
def running_preview(root: Path, **previewer_options):
    """Start the preview on a free port of 127.0.0.1 and wait for its first build."""
    previewer = Previewer(root, **previewer_options)
    server = PreviewServer(previewer, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previewer.start()
    try:
        wait_for(previewer, lambda s: not s.building and (s.edition is not None or bool(s.failure)))
        yield server, previewer
    finally:
        previewer.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def wait_for(previewer: Previewer, condition, what: str = "the preview") -> Snapshot:
    snapshot = previewer.wait_until(condition, BUILD_WAIT)
    assert condition(snapshot), f"{what} did not reach the expected state: {snapshot.to_json()}"
    return snapshot


def next_build(previewer: Previewer, after: Snapshot) -> Snapshot:
    """The first build that started and finished after the idle snapshot `after`."""
    return wait_for(previewer, lambda s: not s.building and s.version >= after.version + 2, "a rebuild")


def preflight_finding(severity: str, code: str, message: str, page: int | None = None, source: str = "",
                      area: tuple[float, float, float, float] | None = None) -> Problem:
    """A finding as the print preflight makes them (publication/preflight/report.py)."""
    return finding(Severity(severity), Code(code), message, page=page, source=source, area=area)


def with_preflight(check) -> Pipeline:
    """The quick screen pipeline with the given preflight: (project, rendition, pdf) -> findings."""
    return replace(QUICK, preflight=check)
