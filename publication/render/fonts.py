"""The project's font files as the layout loads them: with the hyphen a line break adds, if they lack it."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
BREAK_HYPHENS = (0x2010, 0x2011)
"""The hyphen WeasyPrint adds where it breaks a word (`hyphenate-character`, U+2010) and the
non-breaking hyphen: characters an author does not type, which many fonts lack (Source Sans Pro,
League Spartan). A font that has the hyphen-minus (U+002D) draws them with its hyphen glyph."""
_WITH_BREAK_HYPHEN: dict[bytes, bytes] = {}
_PATCH_VERSION = b"break-hyphen 1"
"""Part of the key of a patched font in a cache folder: change it when the patch changes."""


def break_hyphen_coverage(cmap: dict[int, str]) -> set[int]:
    """The characters a font can draw once `with_break_hyphen` has been applied to it."""
    return set(cmap) | (set(BREAK_HYPHENS) if 0x2D in cmap else set())


def with_break_hyphen(data: bytes, cache_dir: Path | None = None) -> bytes:
    """The font, with U+2010 and U+2011 mapped to its hyphen glyph if it lacks them, so that the
    hyphen at a line break is drawn in the publication's font, never in a system font. Anything
    that is not a readable font (or has no hyphen-minus) is returned as it is.

    Patching takes fontTools 10-50 ms a font (it rewrites the font), so the result is remembered per
    process and, with `cache_dir` (the project's .cache/fonts/), between builds, named by the digest of
    the font's bytes: an empty file there means the font needed no patch."""
    digest = hashlib.sha256(_PATCH_VERSION + data).hexdigest()
    key = bytes.fromhex(digest)
    if key in _WITH_BREAK_HYPHEN:
        return _WITH_BREAK_HYPHEN[key]
    cached = cache_dir / f"{digest}.font" if cache_dir else None
    patched = _read_cached(cached, data) if cached else None
    if patched is None:
        patched = _patched(data)
        if cached:
            _store(cached, b"" if patched is data else patched)
    _WITH_BREAK_HYPHEN[key] = patched
    return patched


def _patched(data: bytes) -> bytes:
    try:
        font = TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False)
        changed = False
        for table in font["cmap"].tables:
            hyphen = table.cmap.get(0x2D) if table.isUnicode() else None
            for char in BREAK_HYPHENS if hyphen else ():
                if char not in table.cmap and (table.format != 4 or char <= 0xFFFF):
                    table.cmap[char] = hyphen
                    changed = True
        if changed:
            out = io.BytesIO()
            font.save(out)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - not a font we can read: WeasyPrint and the style check judge it
        pass
    return data


def _read_cached(path: Path, data: bytes) -> bytes | None:
    try:
        cached = path.read_bytes()
    except OSError:
        return None
    return cached or data


def _store(path: Path, patched: bytes) -> None:
    """Written whole or not at all (a temporary file renamed); a folder that cannot be written only
    costs the next build the patching again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(patched)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass
