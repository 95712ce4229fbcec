"""`publication proof`: build a proof, and compare it with an earlier one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..core.dist import Output, write_outputs
from ..core.problems import Code, error, raise_if_errors
from ..editions.proof import PROOF
from .build import BuildOptions, BuildResult, build
from .diff import Comparison, changes_pdf, compare

PROOF_NAME = re.compile(r"^(?P<slug>.+)-proof-(?P<version>[0-9a-f]{10}(?:-dirty-[0-9a-f]{6})?)\.pdf$")
LAST = "last"
"""The value of --since without a file (cli.py's flag_value): the most recent proof in dist/."""


@dataclass(frozen=True)
class ProofResult:
    build: BuildResult
    proof: Path
    previous: Path | None
    comparison: Comparison | None
    changes: Path | None


def latest_proof(dist_dir: Path) -> Path | None:
    """The most recently written proof in dist/, if any."""
    found = [path for path in dist_dir.glob("*-proof-*.pdf") if PROOF_NAME.match(path.name)]
    return max(found, key=lambda path: (path.stat().st_mtime_ns, path.name), default=None)


def _previous(root: Path, since: str | None) -> Path | None:
    if since is None:
        return None
    if since == LAST:
        return latest_proof(root / "dist")
    path = Path(since)
    if path.is_dir():
        raise_if_errors([error(str(path), None, "--since took the project folder as the earlier proof; put the "
                               "folder before --since: publication proof FOLDER --since", Code.SINCE_FOLDER)])
    if not path.is_file():
        raise_if_errors([error(str(path), None, "the earlier proof to compare with does not exist; give the path "
                               "of a PDF, or use --since alone for the last proof in dist/", Code.NO_PREVIOUS)])
    return path


def _label(path: Path) -> str:
    found = PROOF_NAME.match(path.name)
    return found.group("version") if found else path.stem


def make_proof(root: Path, since: str | None = None, strict: bool = False) -> ProofResult:
    previous = _previous(root, since)
    # Read now: rebuilding unchanged sources writes the new proof over this very file.
    previous_pdf = previous.read_bytes() if previous else None
    result = build(root, BuildOptions(strict=strict, targets=(PROOF.name,)))
    proof = result.written[0]
    if previous is None or previous_pdf is None:
        return ProofResult(result, proof, None, None, None)
    comparison = compare(previous_pdf, proof.read_bytes(), previous.name, proof.name)
    if comparison.no_changes:
        return ProofResult(result, proof, previous, comparison, None)
    name = f"{result.project.slug}-changes-{_label(previous)}-to-{_label(proof)}.pdf"
    written = write_outputs(result.project.dist_dir, [Output(name, changes_pdf(comparison, proof.read_bytes()),
                                                             "the pages that changed since the earlier proof")])
    return ProofResult(result, proof, previous, comparison, written[0])
