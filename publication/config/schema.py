"""JSON Schemas for `publication.yml` and article front matter, generated from the models.

Editors (VS Code's YAML extension, via a `# yaml-language-server: $schema=...` line)
use them to complete and check keys while the user types. The files shipped in
`publication/config/schemas/` are regenerated with `publication schema --update`; a test keeps
them equal to what the models produce, so new model fields reach editors automatically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .models import FrontMatter, Publication

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
"""VS Code's YAML extension validates draft-07 and warns that 2019-09 and 2020-12 are not
fully supported; pydantic's output stays within draft-07 (a test checks the keywords)."""

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "publication": (Publication, "content/publication.yml of a publication"),
    "article": (FrontMatter, "the front matter (between the '---' lines) of an article"),
}


def file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def schema_for(kind: str) -> dict[str, Any]:
    model, describes = SCHEMAS[kind]
    generated = model.model_json_schema(mode="validation")
    return {"$schema": JSON_SCHEMA_DIALECT, "$comment": f"Generated from publication.models.{model.__name__} "
            f"by 'publication schema --update'; do not edit by hand. Describes {describes}.", **generated}


def schema_text(kind: str) -> str:
    return json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema into `directory`, returning the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMAS:
        path = directory / file_name(kind)
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written
