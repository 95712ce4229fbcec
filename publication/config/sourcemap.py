"""YAML with line numbers: parse a document and remember where every key and value stands."""

from __future__ import annotations

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


def _syntax_issue(exc: yaml.YAMLError, text: str, source: str, line_offset: int) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if "quoted" in (getattr(exc, "context", "") or "") and getattr(exc, "context_mark", None):
        # The end of the file is where the parser gave up; the opening quote is where to look.
        mark = exc.context_mark
    line = mark.line + 1 + line_offset if mark else None
    column = mark.column + 1 if mark else None
    problem = getattr(exc, "problem", None) or str(exc)
    hint = "check the indentation and the quotes on this line and the one above"
    if "\\t" in problem or "tab" in problem.lower() or (mark and _line_has_tab(text, mark.line)):
        problem = "a tab character is used for indentation"
        hint = "YAML needs spaces: replace the tab with spaces"
    elif "end of stream" in problem and "quoted" in (getattr(exc, "context", "") or ""):
        problem = "a quoted value is never closed"
        hint = "add the closing quote at the end of the value"
    elif "mapping values are not allowed" in problem:
        hint = "a value that contains ': ' must be put in quotes"
    where = f"column {column}: " if column else ""
    return error(source, line, f"YAML syntax error at {where}{problem}; {hint}", Code.YAML_SYNTAX)


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
