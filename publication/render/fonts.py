"""The project's font files as the layout loads them: with the hyphen a line break adds, if they lack it."""

from __future__ import annotations

import hashlib
import io

from fontTools.ttLib import TTFont

FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
BREAK_HYPHENS = (0x2010, 0x2011)
"""The hyphen WeasyPrint adds where it breaks a word (`hyphenate-character`, U+2010) and the
non-breaking hyphen: characters an author does not type, which many fonts lack (Source Sans Pro,
League Spartan). A font that has the hyphen-minus (U+002D) draws them with its hyphen glyph."""
_WITH_BREAK_HYPHEN: dict[bytes, bytes] = {}


def break_hyphen_coverage(cmap: dict[int, str]) -> set[int]:
    """The characters a font can draw once `with_break_hyphen` has been applied to it."""
    return set(cmap) | (set(BREAK_HYPHENS) if 0x2D in cmap else set())


def with_break_hyphen(data: bytes) -> bytes:
    """The font, with U+2010 and U+2011 mapped to its hyphen glyph if it lacks them, so that the
    hyphen at a line break is drawn in the publication's font, never in a system font. Anything
    that is not a readable font (or has no hyphen-minus) is returned as it is."""
    key = hashlib.sha256(data).digest()
    if key not in _WITH_BREAK_HYPHEN:
        patched = data
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
                patched = out.getvalue()
        except Exception:  # noqa: BLE001 - not a font we can read: WeasyPrint and the style check judge it
            patched = data
        _WITH_BREAK_HYPHEN[key] = patched
    return _WITH_BREAK_HYPHEN[key]
