"""publication: structured content (YAML + Markdown) and Jinja2 layouts to a print-ready PDF brochure.

The public Python API; everything else is internal and may change:

    from publication import build, BuildOptions
    result = build(Path("my-brochure"), BuildOptions(targets=("standard",)))
    result.written, result.pages, result.issues      # files in dist/, page count, warnings

    from publication import markdown_to_html
    html, problems = markdown_to_html("Een *alinea*.", language="nl")

A failed build raises `BuildFailed`, whose `problems` are every `Problem` found, each with a
declared `Code`. `EDITIONS` is the table of what a build can write. Names are imported on first
use, so `import publication` stays light (WeasyPrint takes a second to import).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "build": "publication.commands.build",
    "BuildOptions": "publication.commands.build",
    "BuildResult": "publication.commands.build",
    "BuildFailed": "publication.core.problems",
    "Problem": "publication.core.problems",
    "Code": "publication.core.problems",
    "Severity": "publication.core.problems",
    "EDITIONS": "publication.editions",
    "DEFAULT_EDITIONS": "publication.editions",
    "markdown_to_html": "publication.content.markdown",
}

__all__ = ["BuildFailed", "BuildOptions", "BuildResult", "Code", "DEFAULT_EDITIONS", "EDITIONS", "Problem", "Severity",
           "build", "markdown_to_html"]

if TYPE_CHECKING:
    from .commands.build import BuildOptions, BuildResult, build
    from .content.markdown import markdown_to_html
    from .core.problems import BuildFailed, Code, Problem, Severity
    from .editions import DEFAULT_EDITIONS, EDITIONS


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'publication' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
