"""dist/MANIFEST.txt: what each file in dist/ is for, its SHA-256 and its preflight result.

The preflight is a separate stage. It hands its verdicts in as a mapping from file name to a
one-line result ("passed", "2 errors, see <slug>-preflight.txt"); a PDF without a verdict
is listed as "not run", so the manifest never claims a check that did not happen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ..content.sources import Project
from ..core.dist import Output

MANIFEST_NAME = "MANIFEST.txt"
NOT_RUN = "not run"


def manifest_output(project: Project, outputs: list[Output], preflight: Mapping[str, str] | None = None) -> Output:
    """The manifest for `outputs`, in the order they are written. No dates: a rebuild gives the same bytes."""
    preflight = preflight or {}
    config = project.config
    lines = [f"{config.title}",
             f"The files the last build wrote to dist/, from content/publication.yml (publication date {config.date}).",
             "Check a file with: sha256sum <file>", ""]
    width = max(len("preflight"), len("purpose"), len("sha256"))
    for output in outputs:
        verdict = preflight.get(output.name, NOT_RUN if output.name.endswith(".pdf") else "not applicable")
        lines += [output.name,
                  f"  {'purpose':<{width}}  {output.purpose}",
                  f"  {'sha256':<{width}}  {hashlib.sha256(output.data).hexdigest()}",
                  f"  {'preflight':<{width}}  {verdict}",
                  ""]
    return Output(MANIFEST_NAME, "\n".join(lines).encode("utf-8"), "this list of files")
