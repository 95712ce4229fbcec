"""Validation (issue #2, section 3): every problem reported at once, as `path:line: message`, with the fix."""

from __future__ import annotations

import pytest
from helpers import dist_snapshot, failed_build, run_cli, seed_previous_outputs

from publication.commands.build import build

CONFIG = "content/publication.yml"
ARTICLE = "content/01-artikel.md"


def test_unknown_key_names_the_nearest_valid_key(project):
    project.edit("publication.yml", "publisher:", "publsher:")
    assert failed_build(project.root) == [
        f"{CONFIG}:4: unknown key 'publsher'; did you mean 'publisher'?",
    ]


def test_unknown_key_in_a_nested_block_names_its_place_and_the_nearest_key(project):
    project.edit("publication.yml", "  editor:", "  edtor:")
    assert failed_build(project.root) == [
        f"{CONFIG}:10: unknown key 'colofon.edtor'; did you mean 'editor'?",
    ]


def test_unknown_key_without_a_near_match_lists_the_valid_keys(project):
    project.edit("01-artikel.md", "title: Een artikel", "title: Een artikel\nkleur: blauw")
    assert failed_build(project.root) == [
        f"{ARTICLE}:3: unknown key 'kleur'; valid keys here are: title, layout, subtitle",
    ]


def test_missing_required_field(project):
    project.edit("publication.yml", "publisher: Testuitgever\n", "")
    assert failed_build(project.root) == [
        f"{CONFIG}:1: missing required field 'publisher' at the top level; add a line 'publisher: ...'",
    ]


def test_missing_required_field_in_a_block_points_at_the_block(project):
    project.edit("publication.yml", "    organisation: Testuitgever\n", "    address: [Straat 1]\n")
    assert failed_build(project.root) == [
        f"{CONFIG}:13: missing required field 'organisation' under 'colofon.contact'; add a line 'organisation: ...'",
    ]


def test_wrong_type(project):
    project.edit("publication.yml", "date: 2020-05-01", "date: volgend jaar")
    assert failed_build(project.root) == [
        f"{CONFIG}:3: 'date' must be a date like 2016-11-01, not 'volgend jaar'",
    ]


def test_photo_that_is_not_found(project):
    project.edit("01-artikel.md", "photos/foto.jpg", "photos/fotoo.jpg")
    assert failed_build(project.root) == [
        f"{ARTICLE}:7: photo file 'photos/fotoo.jpg' not found in content/ (did you mean 'photos/foto.jpg'?); "
        "check the name and the folder",
    ]


def test_cover_photo_that_is_not_found(project):
    project.edit("publication.yml", "photos/cover.jpg", "photos/omslag.jpg")
    assert failed_build(project.root) == [
        f"{CONFIG}:6: photo file 'photos/omslag.jpg' not found in content/; check the name and the folder",
    ]


def test_article_listed_but_missing(project):
    project.edit("publication.yml", "  - 01-artikel.md", "  - 01-artikel.md\n  - 02-vervolg.md")
    assert failed_build(project.root) == [
        f"{CONFIG}:17: article '02-vervolg.md' is listed but content/02-vervolg.md does not exist; "
        "create the file or remove it from 'articles'",
    ]


def test_article_present_but_not_listed_is_a_warning_and_left_out(project):
    project.write("02-concept.md", "---\ntitle: Nog niet af\n---\n\nConcepttekst.\n")
    result = build(project.root)
    assert [str(issue) for issue in result.warnings] == [
        "content/02-concept.md: warning: '02-concept.md' is not listed under 'articles' in "
        "content/publication.yml, so it is left out; add it to the list to include it",
    ]
    assert "Concepttekst" not in result.renditions[0].html


def test_yaml_syntax_error_names_line_and_column(project):
    project.edit("publication.yml", "  photo_alt: Een testfoto", "  photo_alt: Een testfoto: met dubbele punt")
    assert failed_build(project.root) == [
        f"{CONFIG}:7: column 26: this value contains ': ', which YAML reads as the start of another key; "
        "put the whole value in quotes, like title: \"Part one: the start\"",
    ]


def test_yaml_syntax_error_in_front_matter_counts_lines_from_the_top_of_the_file(project):
    project.edit("01-artikel.md", "title: Een artikel", "title: Een artikel\nsubtitle: 'nooit gesloten")
    assert failed_build(project.root) == [
        f"{ARTICLE}:3: the quote (') opened at column 11 is never closed, so everything after it is read as one "
        "value; add the closing ' at the end of the value",
    ]


def test_every_problem_is_reported_in_one_run(project):
    project.edit("publication.yml", "publisher:", "publsher:")
    project.edit("publication.yml", "date: 2020-05-01", "date: gisteren")
    project.edit("publication.yml", "  - 01-artikel.md", "  - 01-artikel.md\n  - 03-weg.md")
    project.write("02-tweede.md", "---\ntitle: [geen, tekst]\n---\n\nTekst.\n")
    project.edit("publication.yml", "  - 01-artikel.md", "  - 01-artikel.md\n  - 02-tweede.md")
    project.edit("01-artikel.md", "photos/foto.jpg", "photos/weg.jpg")
    assert failed_build(project.root) == [
        f"{ARTICLE}:7: photo file 'photos/weg.jpg' not found in content/; check the name and the folder",
        "content/02-tweede.md:2: 'title' must be text, not list",
        f"{CONFIG}:18: article '03-weg.md' is listed but content/03-weg.md does not exist; "
        "create the file or remove it from 'articles'",
        f"{CONFIG}:3: 'date' must be a date like 2016-11-01, not 'gisteren'",
        f"{CONFIG}:4: unknown key 'publsher'; did you mean 'publisher'?",
    ]


def test_a_failed_build_leaves_earlier_output_untouched(project):
    before = seed_previous_outputs(project.root)
    project.edit("01-artikel.md", "photos/foto.jpg", "photos/weg.jpg")
    result = run_cli("build", project.root)
    assert result.returncode == 1
    assert dist_snapshot(project.root) == before


class TestCommandLine:
    def test_success_exits_0_and_writes_the_pdf(self, project):
        result = run_cli("build", project.root)
        assert result.returncode == 0, result.stderr
        assert (project.root / "dist" / "testbrochure.pdf").read_bytes().startswith(b"%PDF-")
        assert "Traceback" not in result.stderr

    def test_content_error_exits_1_with_the_message_and_no_traceback(self, project):
        project.edit("publication.yml", "date: 2020-05-01", "date: morgen")
        result = run_cli("build", project.root)
        assert result.returncode == 1
        assert f"{CONFIG}:3: 'date' must be a date like 2016-11-01, not 'morgen'" in result.stderr
        assert "Build failed: 1 error. Nothing in dist/ was changed." in result.stderr
        assert "Traceback" not in result.stderr + result.stdout

    @pytest.mark.parametrize("arguments", [("build", "--no-such-option"), ("no-such-command",),
                                           ("build", "a", "b")])
    def test_usage_error_exits_2(self, arguments):
        result = run_cli(*arguments)
        assert result.returncode == 2
        assert "Usage:" in result.stderr and "Traceback" not in result.stderr

    def test_a_folder_without_a_project_exits_1_with_a_hint(self, tmp_path):
        result = run_cli("build", tmp_path)
        assert result.returncode == 1
        assert "no publication.yml found" in result.stderr and "Traceback" not in result.stderr

    @pytest.mark.parametrize("blocked", ["dist", ".cache"])
    def test_an_output_folder_that_is_a_file_exits_1_with_a_message(self, project, blocked):
        (project.root / blocked).write_text("a file where a folder should be\n")
        result = run_cli("build", project.root)
        assert result.returncode == 1
        assert "cannot " in result.stderr and f"make sure {blocked}/ is a folder you can write to" in result.stderr
        assert "Traceback" not in result.stderr and "Internal error" not in result.stderr
        assert (project.root / blocked).read_text() == "a file where a folder should be\n"


def test_an_unclosed_quote_is_reported_where_it_opens_not_where_the_parser_gave_up(tmp_path):
    """The sample's publication.yml with a quote opened on line 20 and never closed: YAML reads on to
    the next quote, many lines down, but the writer must be sent to line 20."""
    from conftest import copy_sample

    from publication.content.project import load_project
    from publication.core.problems import BuildFailed

    root = copy_sample(tmp_path)
    config = root / "content" / "publication.yml"
    lines = config.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines, 1) if n >= 20 and line.startswith(("title:", "subtitle:")))
    lines[number - 1] = lines[number - 1].replace(": ", ': "', 1)
    config.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        load_project(root)
    [problem] = failed.value.problems
    assert (problem.path, problem.line) == ("content/publication.yml", number)
    assert "never closed" in problem.message and "add the closing \"" in problem.message
    assert "<" not in problem.message, "no parser jargon such as <block end> or <scalar>"
