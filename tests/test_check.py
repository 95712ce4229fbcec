"""`publication check` reports exactly the errors `publication build` reports, without typesetting."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from publication.cli import main
from publication.commands.build import build
from publication.commands.check import check_project
from publication.core.problems import BuildFailed


def errors_of(run, root) -> set[tuple]:
    with pytest.raises(BuildFailed) as failed:
        run(root)
    return {(i.path, i.line, i.code, i.message) for i in failed.value.errors}


def break_config_key(project):
    project.edit("publication.yml", "publisher: Testuitgever", "uitgever: Testuitgever")


def break_photo_name(project):
    project.edit("01-artikel.md", "photos/foto.jpg", "photos/fotoo.jpg")


def break_photo_file(project):
    project.write("photos/foto.jpg", b"\xff\xd8 not really a JPEG")


def break_cover_photo_file(project):
    project.write("photos/cover.jpg", b"")


def break_theme(project):
    project.edit("publication.yml", "articles:", "theme: regio-zwol\narticles:")


def break_block_and_date(project):
    project.edit("01-artikel.md", "Tweede alinea.", "::: {.pullqoute}\nCitaat\n:::")
    project.edit("publication.yml", "date: 2020-05-01", "date: 1 mei 2020")


def break_layout_template(project):
    layouts = project.root / "layouts"
    layouts.mkdir()
    (layouts / "colofon.html.j2").write_text("<p>{{ publication.colofon.drukker }}</p>\n", encoding="utf-8")


def break_front_matter_and_unlisted(project):
    project.write("01-artikel.md", "---\ntitel: Kop\n---\n\nTekst.\n")
    project.write("02-vergeten.md", "---\ntitle: Vergeten\n---\n\nTekst.\n")


@pytest.mark.parametrize("breaking", [
    break_config_key, break_photo_name, break_photo_file, break_cover_photo_file, break_theme,
    break_block_and_date, break_layout_template, break_front_matter_and_unlisted,
], ids=lambda f: f.__name__)
def test_check_reports_the_same_errors_as_build(project, breaking):
    breaking(project)
    from_check = errors_of(check_project, project.root)
    assert from_check, "the broken project passed the check"
    assert from_check == errors_of(build, project.root)
    assert not (project.root / "dist").exists() or not any((project.root / "dist").glob("*.pdf"))


def test_check_passes_a_valid_project_and_writes_nothing(project):
    assert [i for i in check_project(project.root) if i.is_error] == []
    assert not (project.root / "dist").exists()
    assert not (project.root / ".cache").exists()


def test_check_command_names_file_and_line_and_exits_1(project):
    break_photo_name(project)
    result = CliRunner().invoke(main, ["check", str(project.root)])
    assert result.exit_code == 1
    assert "content/01-artikel.md:7: photo file 'photos/fotoo.jpg' not found" in result.output
    assert "(did you mean 'photos/foto.jpg'?)" in result.output
    # `check` typesets nothing, so it does not say a build failed.
    assert "Check failed: 1 error." in result.output and "Build failed" not in result.output


def _checkable(case) -> bool:
    """Cases whose problem a writer can cause; stylesheet problems are found by build only."""
    from test_bad_input import THEME_CSS
    return not case.strict and not any(message.startswith(THEME_CSS) for message in case.expected)


def _corpus():
    from test_bad_input import CASES
    return [case for case in CASES if _checkable(case)]


@pytest.mark.parametrize("case", _corpus(), ids=lambda case: f"{case.kind}:{case.name}")
def test_check_reports_the_bad_input_corpus_exactly_as_build_does(case, project):
    """The build's corpus of broken projects (test_bad_input.py), each with its exact messages."""
    case.breaks(project)
    with pytest.raises(BuildFailed) as failed:
        check_project(project.root)
    assert sorted(str(issue) for issue in failed.value.issues) == sorted(case.expected)
