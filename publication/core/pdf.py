"""The one walker over PDF content streams, and the one way to rewrite them.

A page draws with its own content streams and with the form XObjects it (or a form) calls
with `Do`, each with its own resources and matrix. The print edition recolours what is drawn,
the screen edition measures where each image is drawn and marks page furniture as artifacts,
the preflight reads every colour, graphics state and image used, and the reproducible writer
renames images in every stream that names them: all of them walk the same way, here.
"""

from __future__ import annotations

import math
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


Change = Callable[[list, str], "tuple[list, str] | None"]
"""Given an instruction's operands and operator, the instruction to write instead, or None."""


def rewrite(holder: pikepdf.Object, change: Change, pdf: pikepdf.Pdf | None = None) -> bool:
    """Rewrite a content stream, or all of a page's content as one new stream (then `pdf` is the
    page's file), instruction by instruction; not the forms it calls. Returns whether anything
    changed; unchanged content is left as it was, byte for byte."""
    if isinstance(holder, pikepdf.Page):
        holder = holder.obj
    instructions = pikepdf.parse_content_stream(holder)
    changed = False
    for index, (operands, operator) in enumerate(instructions):
        replacement = change(list(operands), str(operator))
        if replacement is not None:
            instructions[index] = pikepdf.ContentStreamInstruction(replacement[0], pikepdf.Operator(replacement[1]))
            changed = True
    if changed:
        data = pikepdf.unparse_content_stream(instructions)
        if isinstance(holder, pikepdf.Stream):
            holder.write(data)
        else:
            holder.Contents = pdf.make_stream(data)
    return changed
