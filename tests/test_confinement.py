"""No file from outside the project reaches the PDF (issue #7, section 2).

Files with a marker are put next to the project, then referenced in every way HTML and
CSS allow: images, stylesheets, @import, backgrounds, <object>, attachments, symlinks,
relative, absolute and encoded paths. Content and themes are refused by the build with a
located error (test_bad_input.py); here the last line of defence, WeasyPrint's confined
url_fetcher, is tested on its own with HTML that a project's own layouts could contain.

A sibling folder whose name begins with the project's (`project-evil/` beside `project/`) is
outside too: a confinement test that compares path strings with `startswith` lets it through.
Every place where content can name a file is tried with it.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from typing import Callable

import pytest
from conftest import ProjectFactory
from helpers import dist_snapshot, embedded_images, failed_build, flat_text, seed_previous_outputs
from PIL import Image
from pypdf import PdfReader

from publication.commands.build import BuildOptions, build
from publication.core.builtin import BUILTIN_ASSETS, BUILTIN_LAYOUTS
from publication.core.problems import BuildFailed
from publication.render.typeset import typeset, write_pdf

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


@pytest.fixture
def evil_sibling(tmp_path):
    """A folder beside the project whose name begins with the project's name, holding files that would
    load if they were inside: an image, a stylesheet and a CMYK profile the print PDF could embed."""
    folder = tmp_path / "project-evil"
    folder.mkdir()
    Image.new("RGB", (60, 60), MAGENTA).save(folder / "secret.png")
    (folder / "secret.css").write_text(f'body::after {{ content: "{SECRET}"; }}\n')
    shutil.copy(BUILTIN_ASSETS / "icc" / "coated_fogra39_argyll.icc", folder / "press.icc")
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
        # project/dist/../../project-evil: a sibling whose name begins with the project's
        '<img src="../../project-evil/secret.png">',
        f'<img src="{project.parent.as_uri()}/project-evil/secret.png">',
        '<link rel="stylesheet" href="../../project-evil/secret.css">',
    ]


def test_the_url_fetcher_lets_nothing_from_outside_into_the_pdf(tmp_path, outside, evil_sibling):
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
    for target in ("secret.png", "secret.css", "link-to-secret.png", "project-evil/secret.png",
                   "project-evil/secret.css"):
        assert any(url.endswith(target) for url in refused), (target, refused)


@pytest.mark.parametrize("attachment", ['<link rel="attachment" href="{}">',
                                        '<a rel="attachment" href="{}">bijlage</a>'])
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


# --- A sibling folder with a common prefix, named from every place content can name a file ---------

CONFIG = "content/publication.yml"
ARTICLE = "content/01-artikel.md"
THEME = "assets/themes/eigen"
OUTSIDE_PHOTO = "points outside the project; keep photos inside content/photos/"
OUTSIDE_THEME = "is outside assets/; keep the theme's files in the assets folder"


def own_theme(project: ProjectFactory) -> None:
    """The built-in theme copied into the project as 'eigen', with the fonts and logos it uses."""
    shutil.copytree(BUILTIN_ASSETS, project.root / "assets", ignore=shutil.ignore_patterns("icc"))
    shutil.move(project.root / "assets" / "themes" / "regio-zwolle", project.root / "assets" / "themes" / "eigen")
    project.edit("publication.yml", "articles:", "theme: eigen\narticles:")


def edit_file(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text in line)


def article_photo(project, sibling) -> list[str]:
    project.edit("01-artikel.md", "photos/foto.jpg", "../../project-evil/secret.png")
    return [f"{ARTICLE}:7: photo '../../project-evil/secret.png' {OUTSIDE_PHOTO}"]


def cover_photo(project, sibling) -> list[str]:
    project.edit("publication.yml", "photo: photos/cover.jpg", "photo: ../../project-evil/secret.png")
    return [f"{CONFIG}:6: photo '../../project-evil/secret.png' {OUTSIDE_PHOTO}"]


def theme_css_url(project, sibling) -> list[str]:
    own_theme(project)
    sheet = project.root / THEME / "theme.css"
    with sheet.open("a", encoding="utf-8") as css:
        css.write('.cover {\n  background: url("../../../../project-evil/secret.png");\n}\n')
    return [f"{THEME}/theme.css:{line_of(sheet, 'project-evil')}: file '../../../../project-evil/secret.png' is "
            "outside the project; copy it into the theme folder and refer to it there"]


def theme_logo(project, sibling) -> list[str]:
    """theme.yml names files inside the assets folder only: assets-evil/ is beside it, not in it."""
    own_theme(project)
    (project.root / "assets-evil").mkdir()
    shutil.copy(project.root / "assets" / "logos" / "regio-zwolle.svg", project.root / "assets-evil" / "logo.svg")
    spec = project.root / THEME / "theme.yml"
    edit_file(spec, "logo: ../../logos/regio-zwolle.svg", "logo: ../../../assets-evil/logo.svg")
    return [f"{THEME}/theme.yml:{line_of(spec, 'assets-evil')}: logo '../../../assets-evil/logo.svg' {OUTSIDE_THEME}"]


def theme_stylesheet(project, sibling) -> list[str]:
    own_theme(project)
    (project.root / "assets-evil").mkdir()
    (project.root / "assets-evil" / "extra.css").write_text("h2 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    spec = project.root / THEME / "theme.yml"
    edit_file(spec, "- theme.css", "- theme.css\n  - ../../../assets-evil/extra.css")
    return [f"{THEME}/theme.yml:{line_of(spec, 'assets-evil')}: stylesheet '../../../assets-evil/extra.css' "
            f"{OUTSIDE_THEME}"]


def layout_img(project, sibling) -> list[str]:
    """The project's own layout, typeset from dist/: only WeasyPrint's fetcher stands in the way."""
    layouts = project.root / "layouts"
    shutil.copytree(BUILTIN_LAYOUTS, layouts)
    base = layouts / "base.html.j2"
    edit_file(base, "</body>", '<img src="../../project-evil/secret.png"></body>')
    return [f"layouts/base.html.j2:{line_of(base, 'project-evil')}: refused to load "
            f"'{sibling.as_uri()}/secret.png': only files inside the project can be used; copy the file into the "
            "project and refer to it there"]


def output_profile(project, sibling) -> list[str]:
    """The profile is a valid CMYK profile: only confinement keeps it out of the print PDF."""
    project.edit("publication.yml", "articles:", "print:\n  output_profile: ../project-evil/press.icc\n"
                 "  output_condition_identifier: FOGRA39\narticles:")
    return [f"{CONFIG}: print.output_profile '../project-evil/press.icc' is outside the project; copy the profile "
            "into the project (e.g. assets/icc/) and name it there"]


@dataclass(frozen=True)
class Route:
    name: str
    use_the_sibling: Callable[[ProjectFactory, object], list[str]]
    target: str = "standard"


SIBLING_ROUTES = [Route("article-photo", article_photo), Route("cover-photo", cover_photo),
                  Route("theme-css-url", theme_css_url), Route("theme-logo", theme_logo),
                  Route("theme-stylesheet", theme_stylesheet), Route("project-layout-img", layout_img),
                  Route("print-output-profile", output_profile, "print")]


@pytest.mark.parametrize("route", SIBLING_ROUTES, ids=lambda route: route.name)
def test_a_sibling_folder_whose_name_begins_with_the_projects_is_outside(project, evil_sibling, route):
    assert evil_sibling.name.startswith(project.root.name) and evil_sibling.parent == project.root.parent
    expected = route.use_the_sibling(project, evil_sibling)
    assert failed_build(project.root, BuildOptions(targets=(route.target,))) == expected
