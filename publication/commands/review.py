"""Comments left in the live preview, kept as plain YAML in the project: `review/comments.yml`.

The file belongs to the project, so it travels with it in git: one entry per comment, keys
always in the same order, and an id made of the time and random hex, so that two reviewers
commenting on two branches never make the same id. A reply is an entry of its own that names
its parent (`reply_to`); resolving a comment sets its `state`.

The preview is the only writer. Every change is one read-modify-write under an exclusive
lock (fcntl.flock on the review folder, so two preview processes of one project wait for each
other too), written with the same atomic write as dist/: a crash leaves the old file or the
new one, never half of one. A comment is at most MAX_COMMENT_CHARS characters and the file at
most MAX_FILE_BYTES; beyond that the change is refused with a message and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from ..config.sourcemap import load_yaml
from ..core.dist import write_atomic
from ..core.i18n import untranslated as _
from ..core.problems import BuildFailed, Code, error

REVIEW_FILE = "review/comments.yml"
MAX_COMMENT_CHARS = 4000
MAX_AUTHOR_CHARS = 80
MAX_FILE_BYTES = 1_000_000
KEYS = ("id", "page", "x_mm", "y_mm", "file", "line", "file_sha256", "quoted", "author", "time", "comment",
        "reply_to", "state", "resolved_by", "resolved_at")
"""Every key an entry may have, in the order it is written."""
STATES = ("open", "resolved")
HEADER = ("# Comments left in the live preview (`publication preview`); `publication comments --project .`\n"
          "# lists them with the comments in annotated proofs. One entry per comment, written by the preview.\n")

_in_process = threading.Lock()  # flock is per open file; threads of one preview also wait for each other


class ReviewRefused(Exception):
    """A change the store will not make; `status` is the HTTP status that says why. `template` and
    `values` let the preview say it in the publication's language; `message` is the English."""

    def __init__(self, status: int, template: str, **values: object):
        self.status = status
        self.template = template
        self.values = values
        self.message = template.format(**values) if values else template
        super().__init__(self.message)


@dataclass(frozen=True)
class Place:
    """Where on the brochure a comment stands, and the source line the text there comes from."""

    page: int
    x_mm: float
    y_mm: float
    file: str | None
    line: int | None
    file_sha256: str | None
    quoted: str


def review_path(root: Path) -> Path:
    return Path(root) / REVIEW_FILE


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_id(moment: str) -> str:
    """Time and 32 random bits: sorts by time, and two people's branches never collide."""
    return moment.replace("-", "").replace(":", "") + "-" + secrets.token_hex(4)


def read_entries(root: Path) -> list[dict[str, Any]]:
    """The comments in review/comments.yml (none if there is no file); a broken file is a BuildFailed
    naming its line."""
    path = review_path(root)
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    document, problems = load_yaml(text, REVIEW_FILE)
    if document is None:
        raise BuildFailed(problems)
    data = document.data or []
    if not isinstance(data, list):
        raise BuildFailed([error(REVIEW_FILE, 1, "this file should be a list of comments (each starting with "
                                 "'- id:'); it was written by the preview: restore it from git", Code.BAD_REVIEW)])
    entries, problems = [], []
    for index, entry in enumerate(data):
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("page"), int)):
            problems.append(error(REVIEW_FILE, document.line_of((index,)),
                                  "this comment has no 'id' or 'page'; restore the entry from git or delete it",
                                  Code.BAD_REVIEW))
            continue
        entries.append(entry)
    if problems:
        raise BuildFailed(problems)
    return entries


class _Dumper(yaml.SafeDumper):
    """Writes a comment of several lines as a block (`|`), line for line as it was typed."""


def _text_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text_block)


def dump_entries(entries: list[dict[str, Any]]) -> bytes:
    """The file's text: the header, then each entry with its keys in the order of KEYS."""
    blocks = []
    for entry in entries:
        ordered = {key: entry[key] for key in KEYS if entry.get(key) is not None}
        blocks.append(yaml.dump([ordered], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))
    return (HEADER + "".join(blocks)).encode("utf-8")


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    folder = review_path(root).parent
    folder.mkdir(parents=True, exist_ok=True)
    with _in_process:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)


TEXT_REFUSALS = {
    "name": (_("the name is empty: type it and save again"), _("the name holds characters that are not text"),
             _("the name is {length} characters long; keep it under {limit}")),
    "comment": (_("the comment is empty: type it and save again"),
                _("the comment holds characters that are not text"),
                _("the comment is {length} characters long; keep it under {limit}")),
    "reply": (_("the reply is empty: type it and save again"), _("the reply holds characters that are not text"),
              _("the reply is {length} characters long; keep it under {limit}")),
}
"""Why a name, comment or reply is refused: empty, not text, too long (whole sentences, for the catalogs)."""
FILE_FULL = _("{file} would grow beyond {size} kB; resolve and clear old comments (they stay in git's history) first")


def _checked_text(value: Any, what: str, limit: int) -> str:
    empty, not_text, too_long = TEXT_REFUSALS[what]
    if not isinstance(value, str) or not value.strip():
        raise ReviewRefused(400, empty)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ReviewRefused(400, not_text) from None
    if len(value) > limit:
        raise ReviewRefused(413, too_long, length=len(value), limit=limit)
    return value.strip()


def _change(root: Path, change) -> dict[str, Any]:
    """Apply `change(entries) -> entry` under the lock and write the file, unless it grows too large."""
    with _locked(root):
        entries = read_entries(root)
        entry = change(entries)
        data = dump_entries(entries)
        if len(data) > MAX_FILE_BYTES:
            raise ReviewRefused(413, FILE_FULL, file=REVIEW_FILE, size=MAX_FILE_BYTES // 1000)
        write_atomic(review_path(root), data)
        return entry


def add_comment(root: Path, place: Place, author: Any, comment: Any) -> dict[str, Any]:
    author, comment = _checked_text(author, "name", MAX_AUTHOR_CHARS), _checked_text(comment, "comment",
                                                                                  MAX_COMMENT_CHARS)
    moment = now_utc()
    entry = {"id": new_id(moment), "page": place.page, "x_mm": round(place.x_mm, 1), "y_mm": round(place.y_mm, 1),
             "file": place.file, "line": place.line, "file_sha256": place.file_sha256,
             "quoted": place.quoted or None, "author": author, "time": moment, "comment": comment, "state": "open"}

    def append(entries: list[dict[str, Any]]) -> dict[str, Any]:
        entries.append(entry)
        return entry
    return _change(root, append)


def _find(entries: list[dict[str, Any]], identifier: Any) -> dict[str, Any]:
    for entry in entries:
        if entry["id"] == identifier:
            return entry
    raise ReviewRefused(404, _("that comment is no longer in the review file (someone may have removed it)"))


def add_reply(root: Path, parent: Any, author: Any, comment: Any) -> dict[str, Any]:
    author, comment = _checked_text(author, "name", MAX_AUTHOR_CHARS), _checked_text(comment, "reply",
                                                                                  MAX_COMMENT_CHARS)

    def reply(entries: list[dict[str, Any]]) -> dict[str, Any]:
        above = _find(entries, parent)
        moment = now_utc()
        entry = {key: above.get(key) for key in ("page", "x_mm", "y_mm", "file", "line", "file_sha256")}
        entry |= {"id": new_id(moment), "author": author, "time": moment, "comment": comment,
                  "reply_to": above["id"]}
        entries.append(entry)
        return entry
    return _change(root, reply)


def set_state(root: Path, identifier: Any, state: Any, author: Any) -> dict[str, Any]:
    if state not in STATES:
        raise ReviewRefused(400, _("a comment's state is one of {states}"), states=", ".join(STATES))
    author = _checked_text(author, "name", MAX_AUTHOR_CHARS)

    def mark(entries: list[dict[str, Any]]) -> dict[str, Any]:
        entry = _find(entries, identifier)
        entry["state"] = state
        entry["resolved_by"] = author if state == "resolved" else None
        entry["resolved_at"] = now_utc() if state == "resolved" else None
        return entry
    return _change(root, mark)
