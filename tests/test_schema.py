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
from publication.config.schema import SCHEMA_DIR, SCHEMAS, file_name, schema_for
from publication.content.project import split_front_matter


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it: dates stay text (YAML 1.2 core schema)."""


EditorLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str):
    return yaml.load(text, Loader=EditorLoader)


def validator(kind: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMA_DIR / file_name(kind)).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_shipped_schema_equals_the_one_generated_from_the_models(kind):
    shipped = json.loads((SCHEMA_DIR / file_name(kind)).read_text(encoding="utf-8"))
    assert shipped == schema_for(kind), "run 'publication schema --update' after changing models.py"


DRAFT_7_KEYWORDS = {
    "$schema", "$id", "$ref", "$comment", "$defs", "definitions", "title", "description", "default", "examples",
    "type", "enum", "const", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "items", "additionalItems", "minItems", "maxItems",
    "uniqueItems", "contains", "properties", "additionalProperties", "patternProperties", "required",
    "propertyNames", "minProperties", "maxProperties", "dependencies", "anyOf", "oneOf", "allOf", "not",
    "if", "then", "else", "readOnly", "writeOnly",
}


def keywords(node, names=None) -> set[str]:
    """The schema keywords used anywhere, skipping the names of properties and definitions."""
    names = set() if names is None else names
    if isinstance(node, dict):
        for key, value in node.items():
            names.add(key)
            if key in ("default", "examples", "const", "enum"):
                continue  # values, not schemas
            children = value.values() if key in ("properties", "$defs", "definitions") else [value]
            for child in children:
                keywords(child, names)
    elif isinstance(node, list):
        for child in node:
            keywords(child, names)
    return names


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_schema_uses_only_draft_7_keywords_which_editors_understand(kind):
    schema = schema_for(kind)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert keywords(schema) <= DRAFT_7_KEYWORDS, keywords(schema) - DRAFT_7_KEYWORDS


def test_schema_command_prints_the_publication_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.output)
    assert printed["additionalProperties"] is False
    assert {"title", "date", "cover", "articles"} <= set(printed["required"])
    assert "colofon" not in printed["required"]  # every colofon line is optional


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
