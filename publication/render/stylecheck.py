"""Check a theme's stylesheets one by one, so that every problem names its file and line.

WeasyPrint reads all stylesheets of a document together and logs "Ignored `x` at 3:5"
without saying which file; a missing font only shows as "Font-face 'X' cannot be
loaded". Parsing each sheet on its own, and resolving its url() and @import references
ourselves, turns those into issues that point at the right line of the right file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import tinycss2
import weasyprint
from fontTools.ttLib import TTFont
from tinycss2 import color5

from ..core.dist import keep_in_cache
from ..core.files import display, is_inside, read_text
from ..core.problems import Code, Problem, error, warning
from .fonts import FONT_SUFFIXES
from .typeset import ConfinedFetcher, collected_warnings

_LOCATION = re.compile(r" at (\d+):(\d+)")
_REFUSED = re.compile(r"refused to load '([^']*)'")


@dataclass(frozen=True)
class Reference:
    url: str
    line: int
    in_font_face: bool


@dataclass(frozen=True)
class StyleCheck:
    issues: tuple[Problem, ...]
    reported: frozenset[str]
    """WeasyPrint's own messages that are already reported here, with their file."""


def references(css: str) -> list[Reference]:
    """Every url() and @import in a stylesheet, with its line; comments are skipped."""
    found: list[Reference] = []

    def walk(tokens, in_font_face: bool) -> None:
        for token in tokens or ():
            if token.type == "url":
                found.append(Reference(token.value, token.source_line, in_font_face))
            elif token.type == "function" and token.lower_name == "url":
                strings = [t for t in token.arguments if t.type == "string"]
                if strings:
                    found.append(Reference(strings[0].value, token.source_line, in_font_face))
            elif token.type == "function":
                walk(token.arguments, in_font_face)
            elif token.type in ("() block", "[] block", "{} block"):
                walk(token.content, in_font_face)

    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            strings = [t for t in rule.prelude if t.type == "string"]
            if strings:
                found.append(Reference(strings[0].value, rule.source_line, False))
        if rule.type in ("at-rule", "qualified-rule"):
            font_face = rule.type == "at-rule" and rule.lower_at_keyword == "font-face"
            walk(rule.prelude, font_face)
            walk(rule.content, font_face)
    return found


def _problem(reference: Reference, sheet: Path, allowed_roots: list[Path]) -> str | None:
    url = urljoin(sheet.as_uri(), reference.url.strip())
    parts = urlsplit(url)
    what = "font file" if reference.in_font_face else "file"
    if parts.scheme == "data":
        return None
    if parts.scheme != "file":
        return (f"{what} '{reference.url}' is a web address; the build has no network access, "
                "so put the file in the theme folder and refer to it there")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not is_inside(path, allowed_roots):
        return f"{what} '{reference.url}' is outside the project; copy it into the theme folder and refer to it there"
    if not path.is_file():
        return f"{what} '{reference.url}' not found next to this stylesheet; check the name and the folder"
    if reference.in_font_face and path.suffix.lower() in FONT_SUFFIXES and not _is_font(path):
        return f"font file '{reference.url}' is damaged or not a font; download the font again"
    return None


def _is_font(path: Path) -> bool:
    try:
        TTFont(path, lazy=True).close()
        return True
    except Exception:  # noqa: BLE001 - fontTools raises many kinds of errors for a broken file
        return False


def _shown(path: Path, roots: list[Path]) -> str:
    """The path relative to the first of `roots` that holds it, for messages."""
    root = next((root for root in roots if is_inside(path, [root])), None)
    return display(path.resolve(), root.resolve()) if root else str(path)


@functools.lru_cache(maxsize=32)
def _parse_warnings(css: str, base_url: str, allowed_roots: tuple[Path, ...]) -> tuple[str, ...]:
    """What WeasyPrint says while parsing a stylesheet, once per text in a process (the live preview
    checks the same stylesheets after every save: 0.1-0.2 s each time)."""
    with collected_warnings() as messages:
        weasyprint.CSS(string=css, base_url=base_url, url_fetcher=ConfinedFetcher(list(allowed_roots)))
    return tuple(dict.fromkeys(messages))


def _parsed(css: str, base_url: str, allowed_roots: list[Path],
            cache_dir: Path | None) -> tuple[list[Reference], tuple[str, ...]]:
    """The references and WeasyPrint's parse warnings of one stylesheet's text. Both follow from the
    text alone unless it @imports another sheet, so they are kept in `cache_dir` (the project's
    .cache/styles/) by its digest: parsing the built-in stylesheets twice costs a build 0.04 s."""
    key = hashlib.sha256(json.dumps([weasyprint.__version__, tinycss2.__version__, base_url,
                                     [str(root) for root in allowed_roots], css]).encode()).hexdigest()
    cached = cache_dir / f"{key}.json" if cache_dir else None
    try:
        kept = json.loads(cached.read_text(encoding="utf-8")) if cached else None
        return [Reference(*reference) for reference in kept["references"]], tuple(kept["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = references(css)
    warnings = _parse_warnings(css, base_url, tuple(allowed_roots))
    if cached and not re.search(r"@import\b", css, re.I):
        keep_in_cache(cached, json.dumps({"references": [[r.url, r.line, r.in_font_face] for r in found],
                                          "warnings": list(warnings)}).encode())
    return found, warnings


def check_stylesheets(sheets: tuple[Path, ...], display_roots: list[Path], allowed_roots: list[Path],
                      cache_dir: Path | None = None) -> StyleCheck:
    """Errors for references that cannot be loaded, warnings for CSS that WeasyPrint ignores.

    Files are named relative to the first of `display_roots` that holds them. `cache_dir`: see `_parsed`."""
    issues: list[Problem] = []
    reported: set[str] = set()
    for sheet in sheets:
        name = _shown(sheet, display_roots)
        css, problems = read_text(sheet, name)
        if css is None:
            issues += problems
            continue
        found, warnings = _parsed(css, sheet.as_uri(), allowed_roots, cache_dir)
        for reference in found:
            problem = _problem(reference, sheet, allowed_roots)
            if problem:
                issues.append(error(name, reference.line, problem, Code.CSS_REFERENCE))
        for message in warnings:
            reported.add(message)
            if message.startswith("Failed to load"):
                continue  # the reference itself is reported above, with its line
            location = _LOCATION.search(message)
            line = int(location.group(1)) if location else None
            issues.append(
                warning(
                    name,
                    line,
                    f"{message.rstrip('.')}; WeasyPrint skips this CSS, so correct or remove it",
                    Code.CSS_INVALID,
                )
            )
    return StyleCheck(tuple(issues), frozenset(reported))


GRADIENTS = ("linear-gradient", "radial-gradient", "repeating-linear-gradient", "repeating-radial-gradient",
             "conic-gradient", "repeating-conic-gradient")


def _colours_in(tokens) -> Iterator:
    """The colour values among a gradient's arguments: hash tokens, colour functions, var() and names."""
    for token in tokens:
        if token.type == "hash" or (token.type == "function" and token.lower_name != "calc"):
            yield token
        elif token.type == "ident" and color5.parse_color(token) is not None:
            yield token


def check_gradients(sheets: tuple[Path, ...], display_roots: list[Path], theme_colours: list[str]) -> list[Problem]:
    """For the print file: every gradient in theme colours, which are CMYK. WeasyPrint draws other
    colours in RGB, which a CMYK press file must not have."""
    issues: list[Problem] = []
    example = ", ".join(f"var(--{name})" for name in theme_colours[:2]) or "var(--name), var(--other)"

    def walk(tokens, name: str) -> None:
        for token in tokens or ():
            if token.type == "function" and token.lower_name in GRADIENTS:
                for colour in _colours_in(token.arguments):
                    used = colour.lower_name if colour.type == "function" else ""
                    variable = next((t.value for t in colour.arguments if t.type == "ident"), "") \
                        if used == "var" else ""
                    if used == "device-cmyk" or (variable.startswith("--") and variable[2:] in theme_colours):
                        continue
                    issues.append(error(name, colour.source_line, f"the {token.lower_name} uses "
                                        f"'{tinycss2.serialize([colour])}', which is not a theme colour, so the "
                                        "print file would get an RGB gradient that a CMYK press cannot print; use "
                                        f"theme colours from theme.yml, e.g. {token.lower_name}({example})",
                                        Code.GRADIENT))
            elif token.type == "function":
                walk(token.arguments, name)
            elif token.type in ("() block", "[] block", "{} block"):
                walk(token.content, name)

    for sheet in sheets:
        name = _shown(sheet, display_roots)
        css, _ = read_text(sheet, name)
        if css is None:
            continue  # check_stylesheets reports it
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
            if rule.type in ("at-rule", "qualified-rule"):
                walk(rule.content, name)
    return issues


def locate_refused(
    issues: list[Problem] | tuple[Problem, ...], files: list[Path], display_roots: list[Path]
) -> list[Problem]:
    """Point each file that WeasyPrint was refused at the layout line that names it.

    Content and themes are checked before layout, so a refused file comes from a layout."""
    located = []
    for issue in issues:
        found = _REFUSED.search(issue.message) if issue.code == "outside-project" else None
        name = unquote(urlsplit(found.group(1)).path).rstrip("/").rsplit("/", 1)[-1] if found else ""
        where = next(
            (
                (file, number)
                for file in files
                for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                if name and name in unquote(line)
            ),
            None,
        )
        located.append(replace(issue, path=_shown(where[0], display_roots), line=where[1]) if where else issue)
    return located


def font_faces(sheets: tuple[Path, ...]) -> dict[str, list[Path]]:
    """The font files each `@font-face` family of the stylesheets names (families in lower case), so
    that a family is known by the name the theme gives it, whatever name is written inside the file."""
    faces: dict[str, list[Path]] = {}
    for sheet in sheets:
        css, _ = read_text(sheet, str(sheet))
        if css is None:
            continue
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
            if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
                continue
            declarations = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            family, files = "", []
            for declaration in declarations:
                if declaration.type != "declaration":
                    continue
                if declaration.lower_name == "font-family":
                    family = " ".join(token.value for token in declaration.value
                                      if token.type in ("string", "ident")).strip().lower()
                elif declaration.lower_name == "src":
                    for reference in references(f"a {{ src: {tinycss2.serialize(declaration.value)} }}"):
                        url = urljoin(sheet.as_uri(), reference.url.strip())
                        if urlsplit(url).scheme == "file":
                            files.append(Path(url2pathname(unquote(urlsplit(url).path))).resolve())
            if family:
                faces.setdefault(family, []).extend(path for path in files if path.is_file())
    return faces
