"""The JSON Schemas: generated from the models, shipped in sync, and they accept and reject
what the build accepts and rejects."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from publication.cli import main
from publication.content import split_front_matter
from publication.schema import SCHEMA_DIR, SCHEMAS, file_name, schema_for


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it: dates stay text (YAML 1.2 core schema)."""


EditorLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str):
    return yaml.load(text, Loader=EditorLoader)


def validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / file_name(kind)).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_shipped_schema_equals_the_one_generated_from_the_models(kind):
    shipped = json.loads((SCHEMA_DIR / file_name(kind)).read_text(encoding="utf-8"))
    assert shipped == schema_for(kind), "run 'publication schema --update' after changing models.py"


def test_schema_command_prints_the_publication_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.output)
    assert printed["additionalProperties"] is False
    assert {"title", "date", "cover", "colofon", "articles"} <= set(printed["required"])


def test_sample_publication_yml_is_valid():
    data = load((REPO / "content" / "publication.yml").read_text(encoding="utf-8"))
    assert list(validator("publication").iter_errors(data)) == []


def test_sample_front_matter_is_valid():
    check = validator("article")
    for path in sorted((REPO / "content").glob("*.md")):
        front, _, _ = split_front_matter(path.read_text(encoding="utf-8"))
        assert list(check.iter_errors(load(front))) == [], path.name


@pytest.mark.parametrize("change, complaint", [
    (("title: Sociale innovatie in de praktijk\n", "titel: Sociale innovatie in de praktijk\n"), "titel"),
    (("  size: A4\n", "  size: A3\n"), "A3"),
    (("date: 2016-11-01 ", "date: 1 november 2016 "), "date"),
    (("  photo: photos/cover.jpg\n", "  foto: photos/cover.jpg\n"), "foto"),
])
def test_schema_rejects_a_broken_publication_yml(change, complaint):
    text = (REPO / "content" / "publication.yml").read_text(encoding="utf-8")
    old, new = change
    assert old in text
    errors = list(validator("publication").iter_errors(load(text.replace(old, new, 1))))
    assert errors, f"the schema accepted {new!r}"
    assert any(complaint in error.message or complaint in error.json_path for error in errors), \
        [error.message for error in errors]


def test_schema_rejects_front_matter_without_title_or_with_unknown_layout():
    check = validator("article")
    assert any("'title' is a required property" in e.message for e in check.iter_errors({"layout": "article"}))
    assert list(check.iter_errors({"title": "Kop", "layout": "poster"}))
