"""The print file as an online print shop takes it: page = trim + bleed (or crop marks when asked),
black text that overprints, no annotations, PDF/X keys that agree; and a preflight that checks the
final file."""

from __future__ import annotations

import pikepdf
import pytest
from conftest import ProjectFactory

from publication.commands.build import BuildOptions, build
from publication.preflight.document import check_page_boxes

MM = 72 / 25.4
PRINT = BuildOptions(targets=("print",))


def print_file(project: ProjectFactory) -> pikepdf.Pdf:
    return pikepdf.open(project.root / "dist" / "testbrochure-print.pdf")


@pytest.fixture(scope="module")
def with_crop_marks(tmp_path_factory):
    project = ProjectFactory(tmp_path_factory.mktemp("crop") / "project")
    project.edit("publication.yml", "articles:", "print:\n  marks: crop\narticles:")
    result = build(project.root, PRINT)
    assert result.preflight.passed, result.preflight.findings
    return project


def test_crop_marks_when_asked_for(with_crop_marks):
    with print_file(with_crop_marks) as pdf:
        for page in pdf.pages:
            trim, bleed, media = ([float(v) for v in page.obj[box]] for box in ("/TrimBox", "/BleedBox", "/MediaBox"))
            assert [round((b - t) / MM, 2) for b, t in zip(bleed, trim)] == [-3, -3, 3, 3]
            assert [round((m - t) / MM, 2) for m, t in zip(media, trim)] == [-9, -9, 9, 9], "a 9 mm slug"
            registration = page.obj.Resources.ColorSpace.Registration
            assert registration[0] == "/Separation" and registration[1] == "/All"
            content = b"".join(stream.read_bytes() for stream in page.obj.Contents)
            assert content.count(b"/Registration CS") == 1
            assert content.count(b" l S") >= 8
        assert check_page_boxes(pdf, 3.0, "crop") == []


def test_page_boxes_check_knows_which_marks_were_asked_for(with_crop_marks):
    with print_file(with_crop_marks) as pdf:
        findings = check_page_boxes(pdf, 3.0, "none")
    assert len(findings) == 4 and {f.code for f in findings} == {"page-boxes"}
    assert "larger than the trimmed page plus the bleed" in findings[0].message
