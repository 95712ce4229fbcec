"""The preflight's verdict: its findings (problems located on the pages), and how they are reported."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..core.problems import Code, Problem, Severity, split_location


def finding(severity: Severity, code: Code, message: str, *, page: int | None = None, element: str = "",
            source: str = "", area: tuple[float, float, float, float] | None = None) -> Problem:
    """A problem found by the preflight; `source` is the 'file:line' of the element, where known."""
    path, line = split_location(source) if source else ("", None)
    return Problem(path, line, message, severity, Code(code), page, element, area)


def _error(code: Code, message: str, **where) -> Problem:
    return finding(Severity.ERROR, code, message, **where)


def _warning(code: Code, message: str, **where) -> Problem:
    return finding(Severity.WARNING, code, message, **where)


def finding_json(problem: Problem) -> dict:
    """A finding as the JSON report and the preview's page show it."""
    return {"severity": problem.severity.value, "check": problem.code.value, "message": problem.message,
            "page": problem.page, "element": problem.element, "source": problem.location,
            "area": list(problem.area) if problem.area else None}


@dataclass(frozen=True)
class Report:
    findings: tuple[Problem, ...]
    pages: int
    standard: str
    binding: str
    forced: bool = False
    blank_pages: tuple[int, ...] = ()
    """Pages left empty on purpose (by a break to a right or left page)."""
    separations: tuple = ()
    """Each page's plates as small pictures (ink.Separations), for the HTML report."""
    max_ink: int | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def passed(self) -> bool:
        return not self.errors

    def _counts(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"

    def summary(self) -> str:
        return f"Preflight {'passed' if self.passed else 'NOT passed'}: {self._counts()} on {self.pages} pages."

    def verdict(self, slug: str) -> str:
        """One line for the manifest."""
        counts = self._counts()
        state = "passed" if self.passed else "NOT passed (written with --force)" if self.forced else "NOT passed"
        return f"{state}: {counts}, see {slug}-preflight.html"

    def to_json(self) -> bytes:
        data = {"passed": self.passed, "forced": self.forced, "pages": self.pages, "standard": self.standard,
                "binding": self.binding, "blank_pages": list(self.blank_pages), "errors": len(self.errors),
                "warnings": len(self.warnings), "findings": [finding_json(finding) for finding in self.findings]}
        return json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n"
