"""Property tests (issue #7, section 4): arbitrary Markdown and arbitrary YAML values give a
PDF or clear, located errors, never an exception of another kind.

Most examples stop after the checks (`check_project`: loading, validation, Markdown, photos),
which is where content is interpreted; a few go through the whole build into a PDF.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml
from conftest import MINIMAL_CONFIG, ProjectFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from publication.commands.build import build
from publication.commands.check import check_project
from publication.core.problems import BuildFailed, Problem

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FULL_BUILD = settings(SETTINGS, max_examples=6)

MARKDOWN_PIECES = st.sampled_from([
    "\n", "\n\n", " ", "# ", "## ", "#### ", "*", "**", "_", "`", "```", "> ", "- ", "1. ", "---", "|", "|---|",
    "::: {.pullquote}", "::: {.box}", ":::", "::::", "{.lead}", "{", "}", "{.", "by=", '"', "'", "“", "![", "](",
    "photos/foto.jpg", "photos/", "../", "/etc/passwd", "http://x", "file:///etc/hostname", ")",
    "{width=50%}", "{.full-width}", "{fig-alt=", "[", "]", "(", "<script>", "</div>", "<b>", "&amp;", "&#0;",
    "{{ 7*7 }}", "{% include 'x' %}", "\\", "\t", "\u00ad", "\u200b", "\ufeff", "\x00", "\r", "a" * 80,
])
MARKDOWN = st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=12)), max_size=40).map("".join)

YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.dates(min_value=dt.date(1, 1, 1)), st.sampled_from(["article", "opening", "", "~", "yes", "2020-13-45"]))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
FRONT_MATTER = st.dictionaries(
    st.one_of(st.sampled_from(["title", "layout", "subtitle", "titel"]), st.text(max_size=8)), YAML_VALUES, max_size=5
)
CONFIG_KEYS = list(yaml.safe_load(MINIMAL_CONFIG))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> ProjectFactory:
    return ProjectFactory(tmp_path_factory.mktemp("properties") / "project")


def reset(project: ProjectFactory) -> None:
    project.write("publication.yml", MINIMAL_CONFIG)
    shutil.rmtree(project.root / "dist", ignore_errors=True)


def article(front: str, body: str) -> str:
    return f"---\n{front}\n---\n\n{body}\n"


def assert_clear(issues: tuple[Problem, ...] | list[Problem], project: ProjectFactory) -> None:
    """Clear errors: each names a file of the project and says something."""
    for issue in issues:
        assert isinstance(issue, Problem)
        assert issue.message.strip()
        assert issue.path.startswith(("content/", "assets/", "layouts")), issue
        assert issue.line is None or issue.line >= 1, issue


def checked(project: ProjectFactory) -> None:
    try:
        issues = check_project(project.root)
    except BuildFailed as failed:
        assert failed.errors, "BuildFailed without an error"
        issues = failed.issues
    assert_clear(issues, project)


def built_or_failed(project: ProjectFactory) -> None:
    try:
        result = build(project.root)
    except BuildFailed as failed:
        assert failed.errors
        assert_clear(failed.issues, project)
        assert not (project.root / "dist" / "testbrochure.pdf").exists()
        return
    assert_clear(result.issues, project)
    assert len(PdfReader(project.root / "dist" / "testbrochure.pdf").pages) >= 3


@SETTINGS
@given(body=MARKDOWN)
def test_any_markdown_is_checked_without_a_crash(scratch, body):
    reset(scratch)
    scratch.write("01-artikel.md", article("title: Eigenschap", body))
    checked(scratch)


@FULL_BUILD
@given(body=MARKDOWN)
def test_any_markdown_builds_a_pdf_or_fails_clearly(scratch, body):
    reset(scratch)
    scratch.write("01-artikel.md", article("title: Eigenschap", body))
    built_or_failed(scratch)


@SETTINGS
@given(front=FRONT_MATTER)
def test_any_yaml_values_in_front_matter_are_checked_without_a_crash(scratch, front):
    reset(scratch)
    scratch.write("01-artikel.md", article(yaml.safe_dump(front, allow_unicode=True), "Tekst."))
    checked(scratch)


@SETTINGS
@given(front=st.text(max_size=60))
def test_any_text_as_front_matter_is_checked_without_a_crash(scratch, front):
    reset(scratch)
    scratch.write("01-artikel.md", article(front, "Tekst."))
    checked(scratch)


@SETTINGS
@given(key=st.sampled_from(CONFIG_KEYS), value=YAML_VALUES)
def test_any_yaml_value_in_publication_yml_is_checked_without_a_crash(scratch, key, value):
    reset(scratch)
    config = yaml.safe_load(MINIMAL_CONFIG)
    config[key] = value
    scratch.write("publication.yml", yaml.safe_dump(config, allow_unicode=True))
    checked(scratch)


@FULL_BUILD
@given(front=FRONT_MATTER)
def test_any_front_matter_builds_a_pdf_or_fails_clearly(scratch, front):
    reset(scratch)
    scratch.write(
        "01-artikel.md", article(yaml.safe_dump({"title": "Eigenschap", **front}, allow_unicode=True), "Tekst.")
    )
    built_or_failed(scratch)
