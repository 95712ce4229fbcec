"""Problems found during a build, as values, and the one exception that carries them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem, located in a source file where that is known."""

    path: str
    line: int | None
    message: str
    severity: Severity = Severity.ERROR
    code: str = ""

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "" if self.severity is Severity.ERROR else "warning: "
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(path: str | Path, line: int | None, message: str, code: str = "") -> Issue:
    return Issue(str(path), line, message, Severity.ERROR, code)


def warning(path: str | Path, line: int | None, message: str, code: str = "") -> Issue:
    return Issue(str(path), line, message, Severity.WARNING, code)


class BuildFailed(Exception):
    """Raised when a stage found errors; carries every issue found so far."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]):
        self.issues = tuple(issues)
        self.written: tuple = ()
        """Files written although the build failed: only the preflight report."""
        self.summary = ""
        """The preflight's one-line verdict, when preflight failed the build."""
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.is_error)


def raise_if_errors(issues: list[Issue] | tuple[Issue, ...]) -> None:
    if any(issue.is_error for issue in issues):
        raise BuildFailed(issues)
