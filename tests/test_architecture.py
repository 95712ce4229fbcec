"""The package's shape, held by tests: layers import only downwards, no import cycle at all,
WeasyPrint's internals behind one adapter, one walker, one rasteriser, one resampler, one set of
units, declared problem codes, one table of editions, and ruff clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
from conftest import REPO

PACKAGE = REPO / "publication"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _trees() -> dict[str, ast.Module]:
    return {_module_name(path): ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in SOURCES}


TREES = _trees()


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm: every group of modules that import each other, directly or round about."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_layers_import_only_downwards():
    """import-linter's layers contract (.importlinter): config -> content -> render -> editions and
    preflight -> commands -> preview -> cli, with core at the bottom."""
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([lint, str(REPO / ".importlinter")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_no_import_cycle_at_all_lazy_and_type_checking_imports_included():
    graph = grimp.build_graph("publication", exclude_type_checking_imports=False, cache_dir=None)
    assert _strongly_connected(graph) == []


def test_the_cycle_check_finds_a_cycle(tmp_path, monkeypatch):
    """The check above can fail: a planted lazy import from content back up to commands is a cycle."""
    package = tmp_path / "planted"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from . import high  # lazy, as a cycle hides\n")
    (package / "high.py").write_text("from . import low\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("planted", cache_dir=None)
    assert _strongly_connected(graph) == [["planted.high", "planted.low"]]


WEASYPRINT_PUBLIC = {"weasyprint", "weasyprint.text.fonts", "weasyprint.urls"}
"""HTML, CSS, Document, DEFAULT_OPTIONS; FontConfiguration; URLFetcher: WeasyPrint's documented API."""


def test_weasyprint_internals_only_behind_the_adapter():
    offenders = []
    for module, tree in TREES.items():
        if module == "publication.render.weasy":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("weasyprint") \
                    and node.module not in WEASYPRINT_PUBLIC:
                offenders.append(f"{module}: from {node.module} import ...")
            if isinstance(node, ast.Import):
                offenders += [f"{module}: import {alias.name}" for alias in node.names
                              if alias.name.startswith("weasyprint.") and alias.name not in WEASYPRINT_PUBLIC]
            if isinstance(node, ast.Attribute) and node.attr in ("_page_box", "_box"):
                offenders.append(f"{module}: .{node.attr}")
    assert offenders == []


def _calls(name: str) -> list[str]:
    """Modules that call a function or method called `name`."""
    found = []
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if called == name:
                    found.append(module)
    return sorted(set(found))


def test_confinement_is_decided_in_one_place():
    """Every check that a file lies inside the project goes through core.files.is_inside."""
    assert _calls("is_relative_to") == ["publication.core.files"]


def test_one_content_stream_walker():
    assert _calls("parse_content_stream") == ["publication.core.pdf"]


def test_one_rasteriser():
    assert _calls("to_pil") == ["publication.core.raster"]


def test_one_resampler():
    assert _calls("resize") == ["publication.render.images"]


def test_one_set_of_units():
    """Millimetres, points and pixels are converted with core/units.py's names, not with 25.4, 72 or 96."""
    offenders = []
    for module, tree in TREES.items():
        if module == "publication.core.units":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Mult)):
                numbers = [side.value for side in (node.left, node.right) if isinstance(side, ast.Constant)]
                if 25.4 in numbers or (72 in numbers and 96 in numbers):
                    offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


def test_every_problem_has_a_declared_code():
    """error(), warning() and Problem() are given a member of Code, never a string of their own."""
    offenders = []
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            position = {"error": 3, "warning": 3, "Problem": 4, "_error": 0, "_warning": 0}.get(called)
            if position is None or module == "publication.core.problems":
                continue
            arguments = list(node.args) + [keyword.value for keyword in node.keywords if keyword.arg == "code"]
            code = arguments[position] if len(node.args) > position else next(
                (keyword.value for keyword in node.keywords if keyword.arg == "code"), None)
            if isinstance(code, ast.Constant):
                offenders.append(f"{module}:{node.lineno}: {code.value!r}")
    assert offenders == []


def test_every_code_says_what_it_means():
    from publication.core.problems import Code

    assert all(code.sentence.endswith(".") and len(code.sentence) > 15 for code in Code)
    assert len({code.value for code in Code}) == len(Code)


def test_editions_are_one_explicit_table():
    from publication.editions import DEFAULT_EDITIONS, EDITIONS

    assert list(EDITIONS) == ["standard", "booklet", "screen", "web", "print", "proof"]
    assert set(DEFAULT_EDITIONS) == set(EDITIONS) - {"proof"}
    assert [edition.name for edition in EDITIONS.values() if edition.preflighted] == ["print"]
    assert _calls("register") == []


def test_the_public_api():
    import publication

    assert {"build", "BuildOptions", "BuildResult", "BuildFailed", "Problem", "Code", "Severity", "EDITIONS",
            "markdown_to_html"} <= set(publication.__all__)
    html, problems = publication.markdown_to_html("Een *alinea*.\n\n::: {.pullquote by=\"Iemand\"}\nCitaat\n:::\n")
    assert "<em>alinea</em>" in html and '<aside class="pullquote"' in html and problems == []
    _, problems = publication.markdown_to_html("![Foto](nergens.jpg)\n", language="en")
    assert [problem.code for problem in problems] == [publication.Code.PHOTO]


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run([ruff, "check", "publication", "tests", "bench", "docs"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
