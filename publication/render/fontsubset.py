"""A font cut down to the characters a page uses, as WOFF: the web edition's fonts (editions/web.py).

HarfBuzz's subsetter does the cutting: it is the library WeasyPrint subsets the PDFs' fonts with
(libharfbuzz-subset, which the tool needs installed anyway), called here through ctypes, and it
takes milliseconds where fontTools' subsetter takes most of a second per face (it parses every
table of the whole font in Python). fontTools then only packs the small result as WOFF (zlib).
Not WOFF2: its Brotli at the quality fontTools fixes (11) takes 0.2 s per face on this machine, 15
times the rest, for a file a quarter smaller (4 KB a face), and every build makes these files.
Without the library (another system), fontTools does both, slower, to the same kind of result.

The kept layout tables (kerning, ligatures) follow the characters; hinting is dropped (browsers
hint themselves) and the names are kept whole (family, copyright, licence). No timestamps are
touched: the same font and characters give the same bytes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import io
import logging
from collections.abc import Iterable

from fontTools import subset as fonttools_subset
from fontTools.ttLib import TTFont

_NO_HINTING = 0x01
_DESUBROUTINIZE = 0x04
_SETS_UNICODE = 1
_SETS_NAME_ID = 4
_MEMORY_DUPLICATE = 0


@functools.cache
def _harfbuzz() -> tuple[ctypes.CDLL, ctypes.CDLL] | None:
    """libharfbuzz and libharfbuzz-subset, with the signatures used here; None where they cannot be loaded."""
    try:
        core = ctypes.CDLL(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0")
        subset = ctypes.CDLL(ctypes.util.find_library("harfbuzz-subset") or "libharfbuzz-subset.so.0")
        pointer, unsigned = ctypes.c_void_p, ctypes.c_uint
        for library, name, result, arguments in (
                (core, "hb_blob_create", pointer, [ctypes.c_char_p, unsigned, ctypes.c_int, pointer, pointer]),
                (core, "hb_blob_destroy", None, [pointer]),
                (core, "hb_blob_get_data", pointer, [pointer, ctypes.POINTER(unsigned)]),
                (core, "hb_face_create", pointer, [pointer, unsigned]),
                (core, "hb_face_destroy", None, [pointer]),
                (core, "hb_face_reference_blob", pointer, [pointer]),
                (core, "hb_set_add_range", None, [pointer, unsigned, unsigned]),
                (core, "hb_set_add", None, [pointer, unsigned]),
                (subset, "hb_subset_input_create_or_fail", pointer, []),
                (subset, "hb_subset_input_destroy", None, [pointer]),
                (subset, "hb_subset_input_set", pointer, [pointer, ctypes.c_int]),
                (subset, "hb_subset_input_set_flags", None, [pointer, unsigned]),
                (subset, "hb_subset_or_fail", pointer, [pointer, pointer])):
            function = getattr(library, name)
            function.restype, function.argtypes = result, arguments
        return core, subset
    except (OSError, AttributeError):
        return None


def _with_harfbuzz(data: bytes, characters: list[int]) -> bytes | None:
    libraries = _harfbuzz()
    if libraries is None:
        return None
    core, subset = libraries
    blob = core.hb_blob_create(data, len(data), _MEMORY_DUPLICATE, None, None)
    face = core.hb_face_create(blob, 0)
    request = subset.hb_subset_input_create_or_fail()
    result_face = result_blob = None
    try:
        if not request:
            return None
        unicodes = subset.hb_subset_input_set(request, _SETS_UNICODE)
        for character in characters:
            core.hb_set_add(unicodes, character)
        core.hb_set_add_range(subset.hb_subset_input_set(request, _SETS_NAME_ID), 0, 0xFFFF)
        subset.hb_subset_input_set_flags(request, _NO_HINTING | _DESUBROUTINIZE)
        result_face = subset.hb_subset_or_fail(face, request)
        if not result_face:
            return None
        result_blob = core.hb_face_reference_blob(result_face)
        length = ctypes.c_uint(0)
        address = core.hb_blob_get_data(result_blob, ctypes.byref(length))
        return ctypes.string_at(address, length.value) if address and length.value else None
    finally:
        if result_blob:
            core.hb_blob_destroy(result_blob)
        if result_face:
            core.hb_face_destroy(result_face)
        if request:
            subset.hb_subset_input_destroy(request)
        core.hb_face_destroy(face)
        core.hb_blob_destroy(blob)


def _with_fonttools(data: bytes, characters: list[int]) -> TTFont:
    options = fonttools_subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    subsetter = fonttools_subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    talker = logging.getLogger("fontTools.subset")
    level, talker.level = talker.level, logging.ERROR  # not a word on the tables it leaves out (FFTM)
    try:
        subsetter.subset(font)
    finally:
        talker.level = level
    return font


def woff_subset(data: bytes, characters: Iterable[int]) -> bytes:
    """The font (TTF or OTF bytes) with the glyphs of `characters` only, as WOFF."""
    wanted = sorted(set(characters))
    cut = _with_harfbuzz(data, wanted)
    font = TTFont(io.BytesIO(cut), recalcTimestamp=False, recalcBBoxes=False) if cut else \
        _with_fonttools(data, wanted)
    font.flavor = "woff"
    packed = io.BytesIO()
    font.save(packed, reorderTables=False)
    return packed.getvalue()
