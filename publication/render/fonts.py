"""The project's font files as the layout loads them: with the hyphen a line break adds, if they lack it."""

from __future__ import annotations

import copy
import hashlib
import io
from pathlib import Path

from fontTools.ttLib import TTFont

from ..core.dist import keep_in_cache

FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
BREAK_HYPHENS = (0x2010, 0x2011)
"""The hyphen WeasyPrint adds where it breaks a word (`hyphenate-character`, U+2010) and the
non-breaking hyphen: characters an author does not type, which many fonts lack (Source Sans Pro,
League Spartan). A font that has the hyphen-minus (U+002D) draws them with a copy of its hyphen glyph:
a glyph of their own, because a PDF maps each glyph to one character (the first it was drawn for), so
a shared glyph would make a typed '-' (in an address, a compound) copy from the PDF as U+2010, or the
other way round. The copy has no kerning (GPOS is left alone: rewriting it costs most of a second per
font), so a font that maps U+2010 to its hyphen glyph itself (Source Serif Pro) is left as it is: a copy
there would move line breaks of text that builds today."""
_WITH_BREAK_HYPHEN: dict[bytes, bytes] = {}
_PATCH_VERSION = b"break-hyphen 2"
"""Part of the key of a patched font in a cache folder: change it when the patch changes."""


def break_hyphen_coverage(cmap: dict[int, str]) -> set[int]:
    """The characters a font can draw once `with_break_hyphen` has been applied to it."""
    return set(cmap) | (set(BREAK_HYPHENS) if 0x2D in cmap else set())


def with_break_hyphen(data: bytes, cache_dir: Path | None = None) -> bytes:
    """The font, with U+2010 and U+2011 each drawn by a glyph of its own, a copy of the hyphen glyph,
    if it lacks them; so that the hyphen at a line break is drawn in the publication's font (never in a
    system font) and a typed '-' copies as '-'. Anything that is not a readable font, has no hyphen-minus
    or is a kind this cannot add a glyph to (CFF2) is returned as it is.

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
            keep_in_cache(cached, b"" if patched is data else patched)
    _WITH_BREAK_HYPHEN[key] = patched
    return patched


def _patched(data: bytes) -> bytes:
    try:
        font = TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        best = font.getBestCmap() or {}
        hyphen = best.get(0x2D)
        changed = False
        for char in BREAK_HYPHENS if hyphen else ():
            if best.get(char) is not None:
                continue  # the font draws it already
            glyph = _copy_glyph(font, hyphen, f"uni{char:04X}")
            if glyph is None:
                break
            for table in font["cmap"].tables:
                if table.isUnicode() and table.cmap.get(char) in (None, hyphen) and (
                        table.format != 4 or char <= 0xFFFF):
                    table.cmap[char] = glyph
                    changed = True
        if changed:
            out = io.BytesIO()
            font.save(out)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - not a font we can read: WeasyPrint and the style check judge it
        pass
    return data


def _copy_glyph(font: TTFont, source: str, name: str) -> str | None:
    """Append a copy of glyph `source` (outline and advance) to the font; its name, or None if the font's
    outlines are of a kind this does not handle."""
    order = list(font.getGlyphOrder())
    while name in order:
        name += ".copy"
    if "glyf" in font:
        glyf = font["glyf"]
        glyf.glyphs[name] = copy.deepcopy(glyf[source])
    elif "CFF " in font:
        top = font["CFF "].cff.topDictIndex[0]
        strings = top.CharStrings
        if not strings.charStringsAreIndexed:
            return None
        if hasattr(top, "ROS"):  # CID-keyed: a glyph's name is its CID
            name = f"cid{max(int(n[3:]) for n in order if n.startswith('cid') and n[3:].isdigit()) + 1:05d}"
        strings.charStringsIndex.append(copy.copy(strings[source]))
        strings.charStrings[name] = len(strings.charStringsIndex) - 1
        top.charset.append(name)
        if hasattr(top, "FDSelect"):
            top.FDSelect.append(top.FDSelect[order.index(source)])
    else:
        return None
    for tag in ("hdmx", "LTSH", "VDMX", "DSIG"):  # per-glyph tables of hinting (and a signature) a copy would void
        if tag in font:
            del font[tag]
    font["post"]  # loaded, so that it is written with the new glyph's name
    font.setGlyphOrder(order + [name])
    if "glyf" in font:
        font["glyf"].glyphOrder = font.getGlyphOrder()
    for table in ("hmtx", "vmtx"):
        if table in font:
            font[table].metrics[name] = font[table].metrics[source]
    return name


def _read_cached(path: Path, data: bytes) -> bytes | None:
    try:
        cached = path.read_bytes()
    except OSError:
        return None
    return cached or data
