"""Editions: the files a build writes to dist/, each finished from a shared rendition.

This table is the one list of editions, in the order they are written and listed in
MANIFEST.txt. To add an edition, write a module with its `finish` function and an `Edition`,
and add it here.
"""

from __future__ import annotations

from .booklet import BOOKLET
from .edition import Edition
from .press import PRINT
from .proof import PROOF
from .screen import SCREEN
from .standard import STANDARD
from .web import WEB

EDITIONS: dict[str, Edition] = {edition.name: edition for edition in (STANDARD, BOOKLET, SCREEN, WEB, PRINT, PROOF)}
DEFAULT_EDITIONS: tuple[str, ...] = (STANDARD.name, BOOKLET.name, SCREEN.name, WEB.name, PRINT.name)
"""What `publication build` makes without --target: every edition but the proof."""

__all__ = ["BOOKLET", "DEFAULT_EDITIONS", "EDITIONS", "PRINT", "PROOF", "SCREEN", "STANDARD", "WEB", "Edition"]
