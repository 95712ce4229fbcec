"""Reading the project's files, and keeping every file the content names inside the project.

Confinement is decided in one place, `is_inside`, with resolved paths and `Path.is_relative_to`:
a string prefix test would let a sibling folder with a common prefix (`project-evil/`) through.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from .problems import Code, Problem, error


def is_inside(path: Path, roots: list[Path] | tuple[Path, ...]) -> bool:
    """Whether `path`, with links and '..' resolved, lies in one of the folders `roots`."""
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "publication"


def display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_text(path: Path, shown: str) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file; a byte-order mark is accepted, other encodings are an error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(shown, None, f"cannot read the file: {exc.strerror}", Code.UNREADABLE)]
    try:
        return raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(shown, line, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                            "save it as UTF-8 in your editor", Code.NOT_UTF8)]


def resolve_local_file(reference: str, base: Path, root: Path) -> tuple[Path | None, str | None]:
    """Resolve a file named in content. Returns (path, None) or (None, what is wrong and how to fix it)."""
    parts = urlsplit(reference)
    if parts.scheme in ("http", "https"):
        return None, (f"'{reference}' is a web address; the build has no network access, "
                      "so download the file into content/photos/ and refer to it there")
    if parts.scheme or reference.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", reference):
        return None, (f"'{reference}' is an absolute path or URL; "
                      "refer to files relative to content/, e.g. photos/name.jpg")
    candidate = (base / reference).resolve()
    if not is_inside(candidate, [root]):
        return None, f"'{reference}' points outside the project; keep photos inside content/photos/"
    if not candidate.is_file():
        return None, (f"file '{reference}' not found in {display(base, root)}/{_nearest_name(candidate, reference)}; "
                      "check the name and the folder")
    return candidate, None


def _nearest_name(missing: Path, reference: str) -> str:
    """' (did you mean 'photos/harbour.jpg'?)' for a file of nearly that name in the same folder, else ''."""
    folder = missing.parent
    if not folder.is_dir():
        return ""
    names = sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    close = [name for name in names if name.lower() == missing.name.lower()] or \
        difflib.get_close_matches(missing.name, names, n=1, cutoff=0.75)
    if not close:
        return ""
    return f" (did you mean '{(Path(reference).parent / close[0]).as_posix()}'?)"
