"""No file from outside the project reaches the PDF (issue #7, section 2).

Files with a marker are put next to the project, then referenced in every way HTML and
CSS allow: images, stylesheets, @import, backgrounds, <object>, attachments, symlinks,
relative, absolute and encoded paths. Content and themes are refused by the build with a
located error (test_bad_input.py); here the last line of defence, WeasyPrint's confined
url_fetcher, is tested on its own with HTML that a project's own layouts could contain.
"""

from __future__ import annotations

import re
import shutil

import pytest
from PIL import Image
from pypdf import PdfReader

from helpers import dist_snapshot, embedded_images, failed_build, flat_text, seed_previous_outputs
from publication.build import build
from publication.errors import BuildFailed
from publication.layout import BUILTIN_LAYOUTS
from publication.typeset import typeset, write_pdf

SECRET = "GEHEIM7F3A"
MAGENTA = (255, 0, 255)
GREEN = (0, 200, 0)


@pytest.fixture
def outside(tmp_path):
    """Files outside the project that must never be read: a stylesheet, an image, a text, an SVG."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.css").write_text(f'body::after {{ content: "{SECRET}"; }}\n')
    Image.new("RGB", (60, 60), MAGENTA).save(folder / "secret.png")
    (folder / "secret.txt").write_text(f"{SECRET}\n")
    (folder / "secret.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
                                       f'<text x="0" y="30">{SECRET}</text></svg>')
    return folder


def routes(outside, project) -> list[str]:
    """Every way we know to make WeasyPrint load a file, each aimed outside the project."""
    uri = outside.as_uri()
    return [
        f'<img src="{uri}/secret.png">',
        '<img src="../../outside/secret.png">',
        f'<img src="{outside}/secret.png">',
        '<img src="%2E%2E/%2E%2E/outside/secret.png">',
        f'<img src="{project.as_uri()}/dist/../../outside/secret.png">',
        '<img src="../link-to-secret.png">',
        f'<link rel="stylesheet" href="{uri}/secret.css">',
        '<style>@import url("../../outside/secret.css");</style>',
        f'<div style="width: 20mm; height: 20mm; background: url({uri}/secret.png)"></div>',
        f'<object data="{uri}/secret.svg" type="image/svg+xml"></object>',
        f'<embed src="{uri}/secret.svg" type="image/svg+xml">',
        '<img src="http://127.0.0.1:9/secret.png">',
    ]


def test_the_url_fetcher_lets_nothing_from_outside_into_the_pdf(tmp_path, outside):
    project = tmp_path / "project"
    (project / "dist").mkdir(parents=True)
    Image.new("RGB", (60, 60), GREEN).save(project / "inside.png")
    (project / "link-to-secret.png").symlink_to(outside / "secret.png")
    html = ("<!DOCTYPE html><html><body><p>Binnen</p>"
            + "".join(routes(outside, project))
            + '<img src="../inside.png"></body></html>')

    result = typeset(html, project / "dist" / "x.html", [project])
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(write_pdf(result.document, b"confinement"))

    colours = [image.getpixel((image.width // 2, image.height // 2)) for image in embedded_images(pdf)]
    assert GREEN in colours, "the control image inside the project should load"
    assert MAGENTA not in colours
    assert SECRET not in flat_text(pdf)
    assert SECRET.encode() not in pdf.read_bytes()
    assert PdfReader(pdf).attachments == {}
    refused = {re.search(r"refused to load '([^']*)'", str(issue)).group(1)
               for issue in result.issues if issue.code == "outside-project"}
    for target in ("secret.png", "secret.css", "link-to-secret.png"):
        assert any(url.endswith(target) for url in refused), (target, refused)


@pytest.mark.parametrize("attachment", ['<link rel="attachment" href="{}">', '<a rel="attachment" href="{}">bijlage</a>'])
def test_attachments_from_outside_are_refused_when_the_pdf_is_written(tmp_path, outside, attachment):
    project = tmp_path / "project"
    (project / "dist").mkdir(parents=True)
    secret = f"{outside.as_uri()}/secret.txt"
    html = f"<!DOCTYPE html><html><body><p>Binnen</p>{attachment.format(secret)}</body></html>"
    result = typeset(html, project / "dist" / "x.html", [project])
    with pytest.raises(BuildFailed) as failed:
        write_pdf(result.document, b"confinement")
    assert [str(issue) for issue in failed.value.issues] == [
        f"layouts: refused to attach '{secret}': only files inside the project can be attached; "
        "copy the file into the project and refer to it there"]


def test_a_project_layout_that_reaches_outside_fails_the_build(project, outside):
    layouts = project.root / "layouts"
    shutil.copytree(BUILTIN_LAYOUTS, layouts)
    base = layouts / "base.html.j2"
    base.write_text(base.read_text().replace("</body>", f'<img src="{outside.as_uri()}/secret.png"></body>'))
    line = next(number for number, text in enumerate(base.read_text().splitlines(), 1) if "secret.png" in text)
    issues = failed_build(project.root)
    assert issues == [f"layouts/base.html.j2:{line}: refused to load '{outside.as_uri()}/secret.png': only files "
                      "inside the project can be used; copy the file into the project and refer to it there"]


def test_a_successful_build_holds_only_project_files(project, outside):
    """The control: the same project, untouched, builds and has no trace of the outside files."""
    before = seed_previous_outputs(project.root)
    build(project.root)
    after = dist_snapshot(project.root)
    assert after["testbrochure.pdf"] != before["testbrochure.pdf"]
    assert SECRET.encode() not in after["testbrochure.pdf"]
