"""The one walker over PDF content streams, and the one way to rewrite them.

A page draws with its own content streams and with the form XObjects it (or a form) calls
with `Do`, each with its own resources and matrix. The print edition recolours what is drawn,
the screen edition measures where each image is drawn and marks page furniture as artifacts,
the preflight reads every colour, graphics state and image used, and the reproducible writer
renames images in every stream that names them: all of them walk the same way, here.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Callable, Iterator

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_FORM_DEPTH = 8
"""Forms inside forms deeper than any real document nests them are not followed (a loop guard)."""


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """The matrix product m × n, as PDF concatenates a `cm` matrix m onto the current matrix n."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


@dataclass(frozen=True)
class Drawn:
    """One instruction as it is drawn on the page."""

    operands: list
    operator: str
    resources: pikepdf.Object | None
    """The resources the instruction's names refer to."""
    matrix: Matrix
    """The current transformation matrix when it is drawn, in page space."""
    xobject: pikepdf.Object | None = None
    """For `Do`: the XObject it draws."""

    @property
    def is_image(self) -> bool:
        return self.xobject is not None and self.xobject.get("/Subtype") == "/Image"

    @property
    def size(self) -> tuple[float, float]:
        """For an image: the width and height it is drawn at, in points."""
        a, b, c, d, _, _ = self.matrix
        return math.hypot(a, b), math.hypot(c, d)


def content_streams(holder: pikepdf.Object) -> list[pikepdf.Object]:
    """The content streams of a page, or a form XObject itself."""
    if isinstance(holder, pikepdf.Stream):
        return [holder]
    contents = holder.get("/Contents")
    if isinstance(contents, pikepdf.Array):
        return list(contents)
    return [] if contents is None else [contents]


def walk(holder: pikepdf.Object, operators: str = "", resources: pikepdf.Object | None = None,
         matrix: Matrix = IDENTITY, depth: int = 0) -> Iterator[Drawn]:
    """Every instruction a page (or form XObject) draws, following the forms it calls.

    `operators` ("rg RG cs CS gs") limits what is yielded besides every `Do`; an empty string
    yields all. The current matrix follows q, Q and cm, and each form's /Matrix."""
    if isinstance(holder, pikepdf.Page):
        holder = holder.obj
    resources = holder.get("/Resources", resources)
    xobjects = (resources.get("/XObject") or {}) if resources is not None else {}
    wanted = set(operators.split())
    parse_only = " ".join(sorted(wanted | {"q", "Q", "cm", "Do"})) if wanted else ""
    stack: list[Matrix] = []
    for stream in content_streams(holder):
        for operands, operator in pikepdf.parse_content_stream(stream, parse_only):
            name = str(operator)
            if name == "q":
                stack.append(matrix)
            elif name == "Q":
                matrix = stack.pop() if stack else matrix
            elif name == "cm":
                matrix = multiply(tuple(float(value) for value in operands), matrix)
            if name == "Do":
                xobject = xobjects.get(str(operands[0]))
                if xobject is None:
                    continue
                yield Drawn(list(operands), name, resources, matrix, xobject)
                if xobject.get("/Subtype") == "/Form" and depth < MAX_FORM_DEPTH:
                    form_matrix = tuple(float(value) for value in xobject.get("/Matrix", IDENTITY))
                    yield from walk(xobject, operators, resources, multiply(form_matrix, matrix), depth + 1)
            elif not wanted or name in wanted:
                yield Drawn(list(operands), name, resources, matrix)


def content_holders(pdf: pikepdf.Pdf, patterns: bool = False) -> Iterator[pikepdf.Object]:
    """Pages and the form XObjects (and, with `patterns`, tiling patterns) they use, each once:
    everything that has content streams of its own."""
    seen: set[tuple[int, int]] = set()
    stack = [page.obj for page in pdf.pages]
    while stack:
        holder = stack.pop()
        yield holder
        holder_resources = holder.get("/Resources", {})
        groups = ("/XObject", "/Pattern") if patterns else ("/XObject",)
        for group in groups:
            for child in holder_resources.get(group, {}).values():
                if isinstance(child, pikepdf.Stream) and child.get("/Subtype") != "/Image" \
                        and child.objgen not in seen:
                    seen.add(child.objgen)
                    stack.append(child)


TEXT_SHOWING = frozenset(("Tj", "TJ", "'", '"'))
STROKING = frozenset(("S", "s"))
FILLING = frozenset(("f", "F", "f*"))
FILLING_AND_STROKING = frozenset(("B", "B*", "b", "b*"))
PAINTING = TEXT_SHOWING | STROKING | FILLING | FILLING_AND_STROKING | {"sh", "Do", "INLINE IMAGE"}
BLACK = (0.0, 0.0, 0.0, 1.0)


@dataclass
class Ink:
    """A fill or stroke colour: its colour space family and, in a CMYK space, its four values."""

    family: str = "/DeviceGray"
    values: tuple[float, ...] = (0.0,)

    @property
    def is_black(self) -> bool:
        """100 % K in a CMYK space (DeviceCMYK or an ICC CMYK profile): black that may overprint."""
        return self.family in ("/DeviceCMYK", "/ICCBased") and len(self.values) == 4 and self.values == BLACK


class GraphicsState:
    """Follows the part of the graphics state that decides what painting does to the plates, one
    instruction at a time: fill and stroke colour, line width, matrix and overprint (OP, op, OPM).

    `overprint` is None where it is not known (at the start of a form, which inherits its caller's)."""

    def __init__(self, resources: pikepdf.Object | None, matrix: Matrix = IDENTITY,
                 overprint: "tuple[bool, bool, int] | None" = (False, False, 0)):
        self.resources = resources
        self.fill, self.stroke = Ink(), Ink()
        self.line_width = 1.0
        self.matrix = matrix
        self.overprint = overprint
        self.font: pikepdf.Object | None = None
        self._stack: list[tuple] = []

    def _space(self, name) -> str:
        spaces = (self.resources.get("/ColorSpace") or {}) if self.resources is not None else {}
        space = spaces.get(str(name), name)
        if isinstance(space, pikepdf.Array):
            family = str(space[0])
            if family == "/ICCBased" and int(space[1].get("/N", 0)) != 4:
                return "/ICCBased-other"
            return family
        return str(space)

    def ext_gstate(self, name) -> pikepdf.Object | None:
        states = (self.resources.get("/ExtGState") or {}) if self.resources is not None else {}
        return states.get(str(name))

    @property
    def line_width_pt(self) -> float:
        """The line width in page space (points), as the current matrix scales it."""
        a, b, c, d, _, _ = self.matrix
        return self.line_width * math.sqrt(abs(a * d - b * c))

    def update(self, operands: list, operator: str) -> None:
        if operator == "q":
            self._stack.append((self.fill, self.stroke, self.line_width, self.matrix, self.overprint))
        elif operator == "Q":
            if self._stack:
                self.fill, self.stroke, self.line_width, self.matrix, self.overprint = self._stack.pop()
        elif operator == "cm":
            self.matrix = multiply(tuple(float(value) for value in operands), self.matrix)
        elif operator == "w" and operands:
            self.line_width = float(operands[0])
        elif operator in ("g", "G", "rg", "RG", "k", "K"):
            family = {"g": "/DeviceGray", "rg": "/DeviceRGB", "k": "/DeviceCMYK"}[operator.lower()]
            ink = Ink(family, tuple(float(value) for value in operands))
            self.fill, self.stroke = (ink, self.stroke) if operator.islower() else (self.fill, ink)
        elif operator in ("cs", "CS") and operands:
            ink = Ink(self._space(operands[0]), ())
            self.fill, self.stroke = (ink, self.stroke) if operator == "cs" else (self.fill, ink)
        elif operator in ("sc", "scn", "SC", "SCN"):
            current = self.fill if operator.islower() else self.stroke
            try:  # a pattern's name instead of numbers: not a CMYK value
                ink = Ink(current.family, tuple(float(value) for value in operands))
            except (TypeError, ValueError):
                ink = Ink(current.family, ())
            self.fill, self.stroke = (ink, self.stroke) if operator.islower() else (self.fill, ink)
        elif operator == "Tf" and operands:
            fonts = (self.resources.get("/Font") or {}) if self.resources is not None else {}
            self.font = fonts.get(str(operands[0]))
        elif operator == "gs" and operands:
            state = self.ext_gstate(operands[0])
            if state is not None and any(key in state for key in ("/OP", "/op", "/OPM")):
                stroking, filling, mode = self.overprint or (False, False, 0)
                if "/OP" in state:
                    stroking = filling = bool(state.OP)
                if "/op" in state:
                    filling = bool(state.op)
                if "/OPM" in state:
                    mode = int(state.OPM)
                self.overprint = (stroking, filling, mode)

    def glyphs(self, operands: list, operator: str) -> int:
        """How many glyphs a text-showing instruction draws (two bytes each in a Type 0 font)."""
        strings = operands[0] if operator == "TJ" and operands else operands[-1:]
        count = sum(len(bytes(part)) for part in strings if isinstance(part, pikepdf.String))
        return count // 2 if self.font is not None and self.font.get("/Subtype") == "/Type0" else count

    def overprints(self, stroking: bool) -> bool:
        """Whether painting now leaves the plates its colour has no ink on alone (OPM 1 in CMYK)."""
        if self.overprint is None:
            return False
        ink = self.stroke if stroking else self.fill
        return self.overprint[1 - int(stroking)] and self.overprint[2] == 1 and ink.family in (
            "/DeviceCMYK", "/ICCBased")


def paints(holder: pikepdf.Object, state: GraphicsState | None = None,
           depth: int = 0) -> Iterator[tuple[list, str, GraphicsState]]:
    """Every painting instruction of a page (text, strokes, fills, shadings, images) with the graphics
    state it paints in, following the forms it calls, which start from their caller's state."""
    if isinstance(holder, pikepdf.Page):
        holder = holder.obj
    resources = holder.get("/Resources", state.resources if state else None)
    if state is None:
        state = GraphicsState(resources)
    state.resources = resources
    xobjects = (resources.get("/XObject") or {}) if resources is not None else {}
    for stream in content_streams(holder):
        for operands, operator in pikepdf.parse_content_stream(stream):
            name = str(operator)
            if name in PAINTING:
                yield list(operands), name, state
            if name == "Do":
                xobject = xobjects.get(str(operands[0]))
                if xobject is not None and xobject.get("/Subtype") == "/Form" and depth < MAX_FORM_DEPTH:
                    form_matrix = tuple(float(value) for value in xobject.get("/Matrix", IDENTITY))
                    inner = GraphicsState(resources, multiply(form_matrix, state.matrix), state.overprint)
                    inner.fill, inner.stroke, inner.line_width = state.fill, state.stroke, state.line_width
                    yield from paints(xobject, inner, depth + 1)
            else:
                state.update(list(operands), name)


Change = Callable[[list, str], "tuple[list, str] | list[tuple[list, str]] | None"]
"""Given an instruction's operands and operator, the instruction to write instead (or a list of
instructions to write in its place), or None. Returning the very operands list it was given keeps
the instruction as it was."""


def rewrite(holder: pikepdf.Object, change: Change, pdf: pikepdf.Pdf | None = None) -> bool:
    """Rewrite a content stream, or all of a page's content as one new stream (then `pdf` is the
    page's file), instruction by instruction; not the forms it calls. Returns whether anything
    changed; unchanged content is left as it was, byte for byte."""
    if isinstance(holder, pikepdf.Page):
        holder = holder.obj
    instructions = pikepdf.parse_content_stream(holder)
    changed = False
    for index, instruction in enumerate(instructions):
        operands, operator = instruction
        given = list(operands)
        replacement = change(given, str(operator))
        if replacement is None:
            continue
        if isinstance(replacement, tuple):
            replacement = [replacement]
        # The instruction itself, where the change keeps it (an inline image cannot be rebuilt from its parts).
        instructions[index] = [instruction if new_operands is given else
                               pikepdf.ContentStreamInstruction(new_operands, pikepdf.Operator(new_operator))
                               for new_operands, new_operator in replacement]
        changed = True
    if changed:
        flat = []
        for instruction in instructions:
            flat.extend(instruction if isinstance(instruction, list) else [instruction])
        data = pikepdf.unparse_content_stream(flat)
        if isinstance(holder, pikepdf.Stream):
            holder.write(data)
        else:
            holder.Contents = pdf.make_stream(data)
    return changed


_NOT_DRAWN = frozenset({"/Parent", "/Kids", "/Count", "/StructParents", "/StructParent", "/Annots", "/B",
                        "/Metadata", "/PieceInfo", "/LastModified"})
"""Keys of a page (or of what it uses) that change nothing Ghostscript draws; /Parent and /Kids lead to
every page (what a page inherits from its /Parent is digested on its own)."""


def page_digests(pdf: pikepdf.Pdf) -> list[str]:
    """For each page, a digest of everything that draws it: its boxes, content streams and every resource
    they use (fonts, images, forms, graphics states, colour spaces), by value, not by object number,
    plus the document's output intents. Two pages with equal digests render alike, in any file."""
    known: dict[tuple[int, int], bytes] = {}
    document = hashlib.sha256()
    _digest_into(pdf.Root.get("/OutputIntents"), document, known)
    digests = []
    for page in pdf.pages:
        digest = document.copy()
        # WeasyPrint gives every page one shared /Resources with every image and font of the document:
        # only the resources a page's drawing names are its own (or one new photo changes every page)
        used: set[str] = set()
        _names_drawn(page.obj, _inherited(page.obj, "/Resources"), used, set())
        _digest_dictionary(page.obj, digest, known, used)
        ancestor = page.obj.get("/Parent")
        while isinstance(ancestor, pikepdf.Dictionary):  # what a page inherits: resources, boxes, rotation
            _digest_dictionary(ancestor, digest, known, used)
            ancestor = ancestor.get("/Parent")
        digests.append(digest.hexdigest())
    return digests


def _inherited(page: pikepdf.Object, key: str):
    holder = page
    while isinstance(holder, pikepdf.Dictionary) and key not in holder:
        holder = holder.get("/Parent")
    return holder.get(key) if isinstance(holder, pikepdf.Dictionary) else None


_NAMED_RESOURCES = frozenset({"/XObject", "/Font", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading",
                              "/Properties"})


def _names_drawn(holder: pikepdf.Object, resources, used: set[str], seen: set[tuple[int, int]]) -> None:
    """Every name the content of `holder` (a page, a form or a tiling pattern) and the forms and patterns
    it draws use as an operand: the resources it draws with."""
    if holder.is_indirect:
        if holder.objgen in seen:
            return
        seen.add(holder.objgen)
    own = holder.get("/Resources", resources)
    for operands, _ in pikepdf.parse_content_stream(holder):
        for operand in operands:
            if not isinstance(operand, pikepdf.Name) or str(operand) in used:
                continue
            used.add(str(operand))
            for category in ("/XObject", "/Pattern"):
                drawn = own.get(category, {}).get(operand) if isinstance(own, pikepdf.Dictionary) else None
                if isinstance(drawn, pikepdf.Stream) and drawn.get("/Subtype") != "/Image":
                    _names_drawn(drawn, own, used, seen)


_IN_PROGRESS = b"loop"
_REFERENCE = re.compile(rb"\d+ \d+ R")


def _digest_into(value, digest, known: dict[tuple[int, int], bytes]) -> None:
    """Everything `value` is and refers to, by value. An indirect object (a font, an image, shared by many
    pages) is digested once and then written as its own digest; a reference back to an object being
    digested (a loop) is written as a mark."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        own = known.get(value.objgen)
        if own is None:
            known[value.objgen] = _IN_PROGRESS
            inner = hashlib.sha256()
            _digest_direct(value, inner, known)
            own = known[value.objgen] = inner.digest()
        digest.update(b"R" + own)
        return
    _digest_direct(value, digest, known)


def _digest_direct(value, digest, known: dict[tuple[int, int], bytes]) -> None:
    if isinstance(value, pikepdf.Stream):
        digest.update(b"S")
        _digest_dictionary(value, digest, known)
        raw = value.read_raw_bytes()
        digest.update(b"%d:" % len(raw) + raw)
    elif isinstance(value, pikepdf.Dictionary):
        digest.update(b"D")
        _digest_dictionary(value, digest, known)
    elif isinstance(value, pikepdf.Array):
        written = value.unparse() if len(value) > 64 else b""  # a font's /Widths: numbers, at C speed
        if written and not _REFERENCE.search(written):
            digest.update(b"A" + written)
        else:
            digest.update(b"A%d[" % len(value))
            for item in value:
                _digest_into(item, digest, known)
            digest.update(b"]")
    elif isinstance(value, pikepdf.Object):
        digest.update(value.unparse() + b";")
    else:
        digest.update(repr(value).encode() + b";")


def _digest_dictionary(dictionary: pikepdf.Object, digest, known: dict[tuple[int, int], bytes],
                       used: set[str] | None = None) -> None:
    for key in sorted(key for key in dictionary.keys() if key not in _NOT_DRAWN):
        digest.update(key.encode() + b"=")
        if key == "/Resources" and used is not None and isinstance(dictionary[key], pikepdf.Dictionary):
            _digest_resources(dictionary[key], digest, known, used)
        else:
            _digest_into(dictionary[key], digest, known)
    digest.update(b";")


def _digest_resources(resources: pikepdf.Object, digest, known: dict[tuple[int, int], bytes],
                      used: set[str]) -> None:
    """A page's resources, those of a kind named in content (images, fonts, states...) only if it names them."""
    for category in sorted(resources.keys()):
        digest.update(category.encode() + b"=")
        named = resources[category]
        if category in _NAMED_RESOURCES and isinstance(named, pikepdf.Dictionary):
            for name in sorted(name for name in named.keys() if name in used):
                digest.update(name.encode() + b"=")
                _digest_into(named[name], digest, known)
            digest.update(b";")
        else:
            _digest_into(named, digest, known)
