"""The one place that writes to dist/.

Outputs are collected in memory, then each is written to a temporary file beside its
target and moved into place with os.replace, only after the whole build succeeded.
All temporaries are written first and the renames follow together, with Ctrl-C held
back for that moment, so an interrupted build leaves the previous set of files, not a
mix of old and new. A lock keeps two builds of the same project from writing at once.
"""

from __future__ import annotations

import fcntl
import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .problems import BuildFailed, Code, error


@dataclass(frozen=True)
class Output:
    name: str
    data: bytes
    purpose: str


@contextmanager
def dist_lock(dist_dir: Path):
    """Hold an exclusive lock on dist/ while writing; another build waits for it."""
    dist_dir.mkdir(parents=True, exist_ok=True)
    with open(dist_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stage(path: Path, data: bytes) -> Path:
    """Write `data` to a synced temporary file beside `path` and return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def write_atomic(path: Path, data: bytes) -> None:
    temporary = _stage(path, data)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def cache_folder(project_root: Path, name: str) -> Path:
    """A folder of the project's .cache/ (images, ink, fonts, jinja, styles; blank-pages is a file): what a
    build keeps to do less the next time, never an output. Removing it costs only time."""
    return project_root / ".cache" / name


def keep_in_cache(path: Path, data: bytes) -> None:
    """A file of .cache/, written whole or not at all; one that cannot be written only costs a later build
    the work again."""
    try:
        write_atomic(path, data)
    except OSError:
        pass


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C came while the outputs were being moved into place: they were all moved first."""

    def __init__(self, written: list[Path]):
        super().__init__()
        self.written = written


@contextmanager
def _interrupts_held(written: list[Path]):
    """Delay Ctrl-C (SIGINT) until the block is done; it is raised right after, naming what was written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *_: received.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise InterruptedAfterWriting(written)


def remove_stale_temporaries(dist_dir: Path) -> None:
    """Delete temporary files that a killed build (SIGKILL, power loss) left behind.

    Only called under the lock, so no running build can still be writing them."""
    for temporary in dist_dir.glob(".*.tmp"):
        temporary.unlink(missing_ok=True)


def remove_left_over(dist_dir: Path, written: list[Path]) -> None:
    """A folder of outputs (dist/web/) holds what the last build wrote to it and nothing else: a photo
    taken out of the content leaves no old file there. Files directly in dist/ are left alone, and so are
    hidden files a web server may want beside the page (.htaccess), but not a killed build's temporaries."""
    kept = set(written)
    folders = {dist_dir / path.relative_to(dist_dir).parts[0] for path in written if path.parent != dist_dir}
    for folder in sorted(folders):
        for path in sorted(folder.rglob("*"), reverse=True):
            hidden = path.name.startswith(".") and not path.name.endswith(".tmp")
            if path.is_file() and path not in kept and not hidden:
                path.unlink(missing_ok=True)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def write_outputs(dist_dir: Path, outputs: list[Output]) -> list[Path]:
    names = [output.name for output in outputs]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"two outputs would both be written to {', '.join(sorted(duplicates))}")
    written = []
    try:
        with dist_lock(dist_dir):
            remove_stale_temporaries(dist_dir)
            staged: list[tuple[Path, Path]] = []
            try:
                for output in outputs:
                    staged.append((_stage(dist_dir / output.name, output.data), dist_dir / output.name))
                # A rename onto a folder would fail halfway through and leave old and new mixed: refuse first.
                in_the_way = [target for _, target in staged if target.is_dir()]
                if in_the_way:
                    raise IsADirectoryError(21, "a folder has the name of an output", str(in_the_way[0]))
                with _interrupts_held(written):
                    for temporary, target in staged:
                        os.replace(temporary, target)
                        written.append(target)
                    remove_left_over(dist_dir, written)
            finally:
                for temporary, _ in staged:
                    temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise BuildFailed([error(f"{dist_dir.name}/", None, f"cannot write the output: {exc.strerror} "
                                 f"({exc.filename}); make sure dist/ is a folder you can write to, with free space",
                                 Code.OUTPUT_UNWRITABLE)]) from exc
    return written
