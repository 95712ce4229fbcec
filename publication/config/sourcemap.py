"""YAML with line numbers: parse a document and remember where every key and value stands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..core.problems import Code, Problem, error

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    key_lines: dict[Path_, int] = field(default_factory=dict)
    value_lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_, *, value: bool = False) -> int | None:
        """The line of the key at `path`, or of its nearest parent that has one."""
        lines = self.value_lines if value else self.key_lines
        for end in range(len(path), -1, -1):
            found = lines.get(tuple(path[:end])) or self.key_lines.get(tuple(path[:end]))
            if found:
                return found
        return None


def _walk(
    node: yaml.Node, path: Path_, doc: YamlDocument, issues: list[Problem], source: str, line_offset: int
) -> None:
    doc.value_lines[path] = node.start_mark.line + 1 + line_offset
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1 + line_offset
            if key in seen:
                issues.append(
                    error(
                        source,
                        line,
                        f"duplicate key '{key}' (first given on line {seen[key]}); "
                        "keep one of the two and delete the other",
                        Code.YAML_DUPLICATE_KEY,
                    )
                )
            seen[key] = line
            doc.key_lines[path + (key,)] = line
            _walk(value_node, path + (key,), doc, issues, source, line_offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            doc.key_lines[path + (index,)] = item.start_mark.line + 1 + line_offset
            _walk(item, path + (index,), doc, issues, source, line_offset)


def _unclosed_quote(text: str, before: int) -> tuple[int, int, str] | None:
    """The first line (0-based) before line `before` whose value opens a quote that the line does not
    close, with the quote's column and character: the parser only notices at the next quote, often
    many lines further down, but a writer must look where the quote opens."""
    for index, line in enumerate(text.splitlines()[: before + 1]):
        found = _VALUE_START.match(line)
        if not found:
            continue
        quote, rest = found.group("quote"), line[found.end():]
        closed = re.search(r'(?<!\\)"', rest) if quote == '"' else re.search(r"'(?!')", rest.replace("''", "  "))
        if not closed:
            return index, found.start("quote"), quote
    return None


_VALUE_START = re.compile(r"""^\s*(?:- +)?(?:[^#'"\s][^:#]*:\s+)?(?P<quote>["'])""")


def _syntax_issue(exc: yaml.YAMLError, text: str, source: str, line_offset: int) -> Problem:
    """The parser's complaint in a writer's words, at the line where the problem starts."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", "") or ""
    index = mark.line if mark else len(text.splitlines())
    unclosed = _unclosed_quote(text, index)
    if mark and (_line_has_tab(text, mark.line) or "\t" in problem or "tab" in problem.lower()):
        line, message = mark.line, ("this line is indented with a tab; YAML needs spaces: replace the tab with "
                                    "spaces")
    elif unclosed and ("quoted" in context or "quoted" in problem or "expected" in problem):
        line, column, quote = unclosed
        message = (f"the quote ({quote}) opened at column {column + 1} is never closed, so everything after it "
                   f"is read as one value; add the closing {quote} at the end of the value")
    elif "flow" in context and getattr(exc, "context_mark", None):
        opened = exc.context_mark
        bracket = "[" if "sequence" in context else "{"
        line = opened.line
        message = (f"the '{bracket}' at column {opened.column + 1} starts a YAML list or block that is never "
                   f"closed; if it is part of the text, put the whole value in quotes, like title: \"{bracket}...\"")
    elif "mapping values are not allowed" in problem and _is_first_colon(text, mark):
        line = mark.line
        message = ("this line is indented further than the line above, so YAML reads it as part of that line's "
                   "value; line it up with the other keys at its level")
    elif "mapping values are not allowed" in problem:
        line = mark.line
        message = (f"column {mark.column + 1}: this value contains ': ', which YAML reads as the start of another "
                   "key; put the whole value in quotes, like title: \"Part one: the start\"")
    elif "could not find expected ':'" in problem or "could not find expected ':'" in context:
        line = (getattr(exc, "context_mark", None) or mark).line
        message = ("this line has no 'key: value'; add ': ' after the key, or indent the line if it continues "
                   "the value above")
    elif "expected <block end>" in problem or "expected <block mapping start>" in problem:
        line = mark.line
        message = ("this line is indented differently from the lines above it; line it up with the other keys "
                   "at its level (spaces, not tabs)")
    else:
        line = mark.line if mark else None
        where = f"column {mark.column + 1}: " if mark else ""
        message = (f"{where}the file cannot be read here ({problem}); check the indentation and the quotes on "
                   "this line and the one above")
    return error(source, line + 1 + line_offset if line is not None else None, message, Code.YAML_SYNTAX)


def _is_first_colon(text: str, mark) -> bool:
    """Whether the parser stopped at the line's own key (an indentation problem), not inside its value."""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    return line.find(":") == mark.column


def _line_has_tab(text: str, index: int) -> bool:
    lines = text.splitlines()
    candidates = lines[max(0, index - 1) : index + 1]
    return any(line[: len(line) - len(line.lstrip())].count("\t") for line in candidates)


MAX_DEPTH = 20


def _unsafe_structure(text: str, source: str, line_offset: int) -> Problem | None:
    """Refuse what content never needs and what would make checking it explode, before building it:
    aliases (a "billion laughs" takes forever) and deep nesting (Python's recursion limit)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line, column = event.start_mark.line + 1 + line_offset, event.start_mark.column + 1
        if isinstance(event, yaml.AliasEvent):
            return error(
                source,
                line,
                f"YAML alias '*{event.anchor}' at column {column} is not supported; write the value out in full",
                Code.YAML_ALIAS,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return error(
                    source,
                    line,
                    f"YAML nested more than {MAX_DEPTH} levels deep at column {column}; keep lists and blocks shallow",
                    Code.YAML_TOO_DEEP,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps an impossible date (2016-13-21) as text, so that validation
    reports it with its line instead of the loader failing without one."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def load_yaml(text: str, source: str, line_offset: int = 0) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML document. Returns (document or None, issues)."""
    issues: list[Problem] = []
    try:
        problem = _unsafe_structure(text, source, line_offset)
        if problem:
            return None, [problem]
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return None, [_syntax_issue(exc, text, source, line_offset)]
    if node is None:
        return YamlDocument(None), issues
    doc = YamlDocument(None)
    _walk(node, (), doc, issues, source, line_offset)
    try:
        data = _Loader(text).get_single_data()
    except yaml.YAMLError as exc:
        return None, [_syntax_issue(exc, text, source, line_offset)]
    return YamlDocument(data, doc.key_lines, doc.value_lines), issues
