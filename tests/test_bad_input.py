"""The bad-input corpus (issue #7, section 1): each broken project fails with exactly these
messages, at these files and lines, and leaves an earlier build's dist/ as it was.

Broken files are made at test time (Pillow, or bytes written here), not committed.
Inputs that must *succeed* (BOM, rotated or CMYK photos, huge images, long words and
tables, template code and HTML in text) are in test_hard_input.py.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Callable

import pytest
from conftest import REPO, ProjectFactory
from helpers import failed_build, noise_image
from PIL import Image

from publication.commands.build import BuildOptions

CONFIG = "content/publication.yml"
ARTICLE = "content/01-artikel.md"
THEME_CSS = "assets/themes/eigen/theme.css"
THEME_CSS_LINES = len((REPO / "assets/themes/regio-zwolle/theme.css").read_text(encoding="utf-8").splitlines())


@dataclass(frozen=True)
class Case:
    kind: str
    name: str
    breaks: Callable[[ProjectFactory], None]
    expected: tuple[str, ...]
    strict: bool = False


def replace_photo(project: ProjectFactory, reference: str) -> None:
    project.edit("01-artikel.md", "photos/foto.jpg", reference)


def photo_file(name: str, make: Callable[[ProjectFactory, object], None]) -> Callable[[ProjectFactory], None]:
    """Write content/photos/<name> with `make(project, path)` and use it as the article's photo."""
    def breaks(project: ProjectFactory) -> None:
        make(project, project.content / "photos" / name)
        replace_photo(project, f"photos/{name}")
    return breaks


def own_theme(css: str = "", *, at_start: bool = False, yml: tuple[str, str | bytes] | None = None,
              files: dict[str, bytes] | None = None, encoding: str = "utf-8") -> Callable[[ProjectFactory], None]:
    """A project-level theme 'eigen' (a copy of the built-in one) with `css` added to its theme.css
    (saved in `encoding`), `files` written beside it and, with `yml=(old, new)`, `old` replaced by
    `new` in its theme.yml."""
    def breaks(project: ProjectFactory) -> None:
        shutil.copytree(REPO / "assets", project.root / "assets")
        theme = project.root / "assets" / "themes" / "eigen"
        shutil.move(project.root / "assets" / "themes" / "regio-zwolle", theme)
        sheet = theme / "theme.css"
        original = sheet.read_text(encoding="utf-8")
        sheet.write_text(css + original if at_start else original + css, encoding=encoding)
        for name, data in (files or {}).items():
            (theme / name).write_bytes(data)
        if yml:
            old, new = yml
            spec = (theme / "theme.yml").read_text(encoding="utf-8")
            assert old in spec
            replaced = spec.replace(old, new) if isinstance(new, str) else spec.encode().replace(old.encode(), new)
            (theme / "theme.yml").write_bytes(replaced.encode() if isinstance(replaced, str) else replaced)
        project.edit("publication.yml", "articles:", "theme: eigen\narticles:")
    return breaks


THEME_YML = "assets/themes/eigen/theme.yml"


def theme_line(text: str) -> int:
    lines = (REPO / "assets/themes/regio-zwolle/theme.yml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def truncated_png(project: ProjectFactory, path) -> None:
    noise_image((300, 200)).save(path)
    path.write_bytes(path.read_bytes()[:4000])


def corrupt_jpeg(project: ProjectFactory, path) -> None:
    data = (project.content / "photos" / "foto.jpg").read_bytes()
    path.write_bytes(data[:300] + bytes(range(256)) * 8)


def symlink_outside(project: ProjectFactory, path) -> None:
    outside = project.root.parent / "buiten.jpg"
    Image.new("RGB", (400, 300), (200, 0, 0)).save(outside)
    path.symlink_to(outside)


BILLION_LAUGHS = "".join(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
                         for previous, name in zip("abcdefgh", "bcdefghi")).join(['a: &a ["lol", "lol"]\n', ""])
NOT_FOUND_HINT = "check the name and the folder"
OUTSIDE = "points outside the project; keep photos inside content/photos/"
ABSOLUTE = "is an absolute path or URL; refer to files relative to content/, e.g. photos/name.jpg"
REEXPORT = "export it again as JPEG or PNG"

CASES = [
    # --- YAML ---------------------------------------------------------------------------------
    Case(
        "yaml",
        "tab-indentation",
        lambda p: p.edit("publication.yml", "  photo_alt", "\tphoto_alt"),
        (
            f"{CONFIG}:7: this line is indented with a tab; YAML needs spaces: replace the tab with spaces",
        ),
    ),
    Case(
        "yaml",
        "unclosed-quote",
        lambda p: p.edit("publication.yml", "publisher: Testuitgever", 'publisher: "Testuitgever'),
        (
            f"{CONFIG}:4: the quote (\") opened at column 12 is never closed, so everything after it is read as "
            "one value; add the closing \" at the end of the value",
        ),
    ),
    Case(
        "yaml",
        "duplicate-key",
        lambda p: p.edit("publication.yml", "publisher: Testuitgever", "publisher: Testuitgever\ntitle: Nog een titel"),
        (f"{CONFIG}:5: duplicate key 'title' (first given on line 1); keep one of the two and delete the other",),
    ),
    Case(
        "yaml",
        "duplicate-key-in-front-matter",
        lambda p: p.edit("01-artikel.md", "title: Een artikel", "title: Een artikel\ntitle: Ander"),
        (f"{ARTICLE}:3: duplicate key 'title' (first given on line 2); keep one of the two and delete the other",),
    ),
    Case(
        "yaml",
        "colon-in-value",
        lambda p: p.edit("01-artikel.md", "title: Een artikel", "title: Kop: met dubbele punt"),
        (
            f"{ARTICLE}:2: column 11: this value contains ': ', which YAML reads as the start of another key; "
            "put the whole value in quotes, like title: \"Part one: the start\"",
        ),
    ),
    Case(
        "yaml",
        "wrong-type-date",
        lambda p: p.edit("publication.yml", "date: 2020-05-01", "date: 1 mei"),
        (f"{CONFIG}:3: 'date' must be a date like 2016-11-01, not '1 mei'",),
    ),
    Case(
        "yaml",
        "impossible-date",
        lambda p: p.edit("publication.yml", "date: 2020-05-01", "date: 2020-13-21"),
        (f"{CONFIG}:3: 'date' must be a date like 2016-11-01, not '2020-13-21'",),
    ),
    Case(
        "yaml",
        "wrong-type-list",
        lambda p: p.edit("publication.yml", "articles:\n  - 01-artikel.md", "articles: 01-artikel.md"),
        (f"{CONFIG}:15: 'articles' must be a list (lines starting with '- '), not '01-artikel.md'",),
    ),
    Case(
        "yaml",
        "wrong-type-block",
        lambda p: p.edit(
            "publication.yml", "cover:\n  photo: photos/cover.jpg\n  photo_alt: Een testfoto", "cover: photos/cover.jpg"
        ),
        (f"{CONFIG}:5: 'cover' must be a block of keys, not 'photos/cover.jpg'",),
    ),
    Case(
        "yaml",
        "wrong-type-in-front-matter",
        lambda p: p.edit("01-artikel.md", "title: Een artikel", "title: [Een, artikel]"),
        (f"{ARTICLE}:2: 'title' must be text, not list",),
    ),
    Case(
        "yaml",
        "not-one-of-the-choices",
        lambda p: p.edit("01-artikel.md", "title: Een artikel", "title: Een artikel\nlayout: cover"),
        (f"{ARTICLE}:3: 'layout' must be one of 'opening' or 'article', not 'cover'",),
    ),
    Case(
        "yaml",
        "unknown-key",
        lambda p: p.edit("publication.yml", "language: nl", "langauge: nl"),
        (f"{CONFIG}:2: unknown key 'langauge'; did you mean 'language'?",),
    ),
    Case(
        "yaml",
        "unknown-nested-key",
        lambda p: p.edit("publication.yml", "    organisation:", "    organization:"),
        (f"{CONFIG}:14: unknown key 'colofon.contact.organization'; did you mean 'organisation'?",),
    ),
    Case(
        "yaml",
        "unknown-key-in-front-matter",
        lambda p: p.edit("01-artikel.md", "title:", "titel:"),
        (f"{ARTICLE}:2: unknown key 'titel'; did you mean 'title'?",),
    ),
    Case(
        "yaml",
        "billion-laughs-aliases",
        lambda p: p.write("01-artikel.md", "---\ntitle: Lachen\n" + BILLION_LAUGHS + "---\n\nTekst.\n"),
        (f"{ARTICLE}:4: YAML alias '*a' at column 8 is not supported; write the value out in full",),
    ),
    Case(
        "yaml",
        "nested-10000-deep",
        lambda p: p.edit("publication.yml", "title: Testbrochure", "title: " + "[" * 10_000 + "]" * 10_000),
        (f"{CONFIG}:1: YAML nested more than 20 levels deep at column 27; keep lists and blocks shallow",),
    ),
    Case(
        "yaml",
        "a-list-instead-of-keys",
        lambda p: p.write("publication.yml", "- title\n- date\n"),
        (f"{CONFIG}:1: expected keys and values (like 'title: ...'), found a single value",),
    ),
    # --- Files --------------------------------------------------------------------------------
    Case(
        "files",
        "empty-publication-yml",
        lambda p: p.write("publication.yml", ""),
        (f"{CONFIG}:1: the file is empty; it needs at least: title, date, publisher, cover, articles",),
    ),
    Case(
        "files",
        "empty-article",
        lambda p: p.write("01-artikel.md", b""),
        (
            f"{ARTICLE}:1: the article is empty; start it with front matter ('---', 'title: ...', '---') "
            "followed by the text",
        ),
    ),
    Case(
        "files",
        "front-matter-never-ends",
        lambda p: p.write("01-artikel.md", "---\ntitle: Een artikel\n\nTekst.\n"),
        (f"{ARTICLE}:1: the article has no front matter; it never ends: add a line '---' after the front matter",),
    ),
    Case(
        "files",
        "article-not-utf8",
        lambda p: p.write("01-artikel.md", "---\ntitle: Café\n---\n".encode("cp1252")),
        (f"{ARTICLE}:2: the file is not UTF-8 text (byte 0xe9); save it as UTF-8 in your editor",),
    ),
    Case(
        "files",
        "publication-yml-not-utf8",
        lambda p: p.write(
            "publication.yml",
            p.content.joinpath("publication.yml")
            .read_text()
            .replace("Testuitgever, mei", "Testuitgever, mei ©")
            .encode("latin-1"),
        ),
        (f"{CONFIG}:9: the file is not UTF-8 text (byte 0xa9); save it as UTF-8 in your editor",),
    ),
    Case(
        "files",
        "listed-article-missing",
        lambda p: p.edit("publication.yml", "  - 01-artikel.md", "  - 00-inleiding.md\n  - 01-artikel.md"),
        (
            f"{CONFIG}:16: article '00-inleiding.md' is listed but content/00-inleiding.md does not exist; "
            "create the file or remove it from 'articles'",
        ),
    ),
    Case(
        "files",
        "article-listed-twice",
        lambda p: p.edit("publication.yml", "  - 01-artikel.md", "  - 01-artikel.md\n  - 01-artikel.md"),
        (f"{CONFIG}:17: article '01-artikel.md' is listed twice; remove one of them",),
    ),
    Case(
        "files",
        "missing-photo",
        lambda p: replace_photo(p, "photos/Foto.jpg"),
        (f"{ARTICLE}:7: photo file 'photos/Foto.jpg' not found in content/ (did you mean 'photos/foto.jpg'?); "
         f"{NOT_FOUND_HINT}",),
    ),
    Case(
        "images",
        "damaged-cover-photo",
        lambda p: p.write("photos/cover.jpg", b"\xff\xd8\xff\xe0 not really"),
        (f"{CONFIG}:6: photo 'cover.jpg' is damaged or incomplete (Truncated File Read); {REEXPORT}",),
    ),
    Case(
        "files",
        "missing-cover-photo",
        lambda p: (p.content / "photos" / "cover.jpg").unlink(),
        (f"{CONFIG}:6: photo file 'photos/cover.jpg' not found in content/; {NOT_FOUND_HINT}",),
    ),
    # --- Images -------------------------------------------------------------------------------
    Case(
        "images",
        "corrupt-jpeg",
        photo_file("kapot.jpg", corrupt_jpeg),
        (f"{ARTICLE}:7: photo 'kapot.jpg' is damaged or incomplete (cannot load this image); {REEXPORT}",),
    ),
    Case(
        "images",
        "truncated-png",
        photo_file("half.png", truncated_png),
        (f"{ARTICLE}:7: photo 'half.png' is damaged or incomplete (image file is truncated); {REEXPORT}",),
    ),
    Case(
        "images",
        "zero-bytes",
        photo_file("leeg.jpg", lambda p, path: path.write_bytes(b"")),
        (f"{ARTICLE}:7: photo 'leeg.jpg' is empty (0 bytes); {REEXPORT}",),
    ),
    Case(
        "images",
        "decompression-bomb",
        photo_file("bom.png", lambda p, path: Image.new("1", (12_000, 12_000)).save(path)),
        (
            f"{ARTICLE}:7: photo 'bom.png' has too many pixels (over 120 megapixels); "
            "scale it down to at most 8000 px on the long side",
        ),
    ),
    Case(
        "images",
        "unsupported-format-svg",
        photo_file(
            "logo.svg",
            lambda p, path: path.write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
            ),
        ),
        (f"{ARTICLE}:7: photo 'logo.svg' is not an image format we can read; {REEXPORT}",),
    ),
    Case(
        "images",
        "text-file-named-jpg",
        photo_file("notitie.jpg", lambda p, path: path.write_text("geen foto\n")),
        (f"{ARTICLE}:7: photo 'notitie.jpg' is not an image format we can read; {REEXPORT}",),
    ),
    # --- Text -------------------------------------------------------------------------------
    Case(
        "text",
        "emphasis-nested-10000-deep",
        lambda p: p.edit("01-artikel.md", "Tweede alinea.", "*" * 20_000 + "diep" + "*" * 20_000),
        (f"{ARTICLE}:9: bold, italic and links are nested more than 20 deep here; remove the extra '*', '_' or '['",),
    ),
    # --- Markup in content --------------------------------------------------------------------
    Case(
        "markup",
        "javascript-link",
        lambda p: p.edit("01-artikel.md", "Tweede alinea.", "Tweede [alinea](javascript:alert(1))."),
        (
            f"{ARTICLE}:9: link 'javascript:alert(1)' cannot be used in a PDF; link to a web address "
            "(https://...) or an e-mail address (mailto:...)",
        ),
    ),
    Case(
        "markup",
        "file-link",
        lambda p: p.edit("01-artikel.md", "Tweede alinea.", "[Wachtwoorden](file:///etc/passwd)"),
        (
            f"{ARTICLE}:9: link 'file:///etc/passwd' cannot be used in a PDF; link to a web address "
            "(https://...) or an e-mail address (mailto:...)",
        ),
    ),
    Case(
        "markup",
        "unknown-block",
        lambda p: p.edit("01-artikel.md", "Tweede alinea.", "::: {.pulquote}\nCitaat\n:::"),
        (f"{ARTICLE}:9: unknown block 'pulquote' (did you mean '.pullquote'?); blocks are: .pullquote, .box, "
         ".full-width",),
    ),
    Case(
        "markup",
        "unknown-box-style",
        lambda p: p.edit("01-artikel.md", "Tweede alinea.", ":::: {.box .pagina}\n### Kop\n\nTekst\n::::"),
        (f"{ARTICLE}:9: unknown style '.pagina' on the .box; a .box can take .page",),
    ),
    Case(
        "markup",
        "unknown-paragraph-style",
        lambda p: p.edit("01-artikel.md", "Tweede alinea.", "{.leed}\nTweede alinea."),
        (f"{ARTICLE}:9: unknown paragraph style '.leed' (did you mean '.lead'?)",),
    ),
    # --- Paths and URLs -----------------------------------------------------------------------
    Case(
        "paths",
        "parent-directories",
        lambda p: replace_photo(p, "../../../etc/passwd"),
        (f"{ARTICLE}:7: photo '../../../etc/passwd' {OUTSIDE}",),
    ),
    Case(
        "paths",
        "parent-directories-in-cover",
        lambda p: p.edit("publication.yml", "photos/cover.jpg", "photos/../../../../etc/hostname"),
        (f"{CONFIG}:6: photo 'photos/../../../../etc/hostname' {OUTSIDE}",),
    ),
    Case(
        "paths",
        "absolute-path",
        lambda p: replace_photo(p, "/etc/hostname"),
        (f"{ARTICLE}:7: photo '/etc/hostname' {ABSOLUTE}",),
    ),
    Case(
        "paths",
        "file-url",
        lambda p: replace_photo(p, "file:///etc/hostname"),
        (f"{ARTICLE}:7: photo 'file:///etc/hostname' {ABSOLUTE}",),
    ),
    Case(
        "paths",
        "http-url",
        lambda p: replace_photo(p, "http://example.com/foto.jpg"),
        (
            f"{ARTICLE}:7: photo 'http://example.com/foto.jpg' is a web address; the build has no network access, "
            "so download the file into content/photos/ and refer to it there",
        ),
    ),
    Case(
        "paths",
        "symlink-to-outside",
        photo_file("link.jpg", symlink_outside),
        (f"{ARTICLE}:7: photo 'photos/link.jpg' {OUTSIDE}",),
    ),
    # --- Theme --------------------------------------------------------------------------------
    Case(
        "theme",
        "css-import-outside",
        own_theme('@import url("../../../../../../../../etc/hostname");\n', at_start=True),
        (
            f"{THEME_CSS}:1: file '../../../../../../../../etc/hostname' is outside the project; "
            "copy it into the theme folder and refer to it there",
        ),
    ),
    Case(
        "theme",
        "css-url-outside",
        own_theme('.cover { background: url("file:///etc/hostname"); }\n'),
        (
            f"{THEME_CSS}:{THEME_CSS_LINES + 1}: file 'file:///etc/hostname' is outside the project; "
            "copy it into the theme folder and refer to it there",
        ),
    ),
    Case(
        "theme",
        "css-url-on-the-web",
        own_theme(".cover {\n  background: url(https://example.com/a.png);\n}\n"),
        (
            f"{THEME_CSS}:{THEME_CSS_LINES + 2}: file 'https://example.com/a.png' is a web address; the build has "
            "no network access, so put the file in the theme folder and refer to it there",
        ),
    ),
    Case(
        "theme",
        "missing-font-file",
        own_theme(
            '@font-face { font-family: "Source Serif Pro";\n'
            '  src: url("../../fonts/SourceSerifPro-Light.ttf"); font-weight: 300; }\n'
        ),
        (
            f"{THEME_CSS}:{THEME_CSS_LINES + 2}: font file '../../fonts/SourceSerifPro-Light.ttf' not found next to "
            "this stylesheet; check the name and the folder",
        ),
    ),
    Case(
        "theme",
        "damaged-font-file",
        own_theme(
            '@font-face { font-family: "Kapot"; src: url("kapot.ttf"); }\n',
            files={"kapot.ttf": b"<html>404 not found</html>"},
        ),
        (
            f"{THEME_CSS}:{THEME_CSS_LINES + 1}: font file 'kapot.ttf' is damaged or not a font; "
            "download the font again",
        ),
    ),
    Case(
        "theme",
        "stylesheet-not-utf8",
        own_theme("/* Caf\u00e9 */\n", at_start=True, encoding="latin-1"),
        (f"{THEME_CSS}:1: the file is not UTF-8 text (byte 0xe9); save it as UTF-8 in your editor",),
    ),
    Case(
        "theme",
        "theme-yml-syntax-error",
        own_theme(yml=("name: Regio Zwolle", "name: 'Regio Zwolle")),
        (
            f"{THEME_YML}:{theme_line('name:')}: the quote (') opened at column 7 is never closed, so everything "
            "after it is read as one value; add the closing ' at the end of the value",
        ),
    ),
    Case(
        "theme",
        "theme-yml-not-utf8",
        own_theme(yml=("name: Regio Zwolle", "name: Régio".encode("latin-1"))),
        (
            f"{THEME_YML}:{theme_line('name:')}: the file is not UTF-8 text (byte 0xe9); "
            "save it as UTF-8 in your editor",
        ),
    ),
    Case(
        "theme",
        "stylesheet-outside-the-assets",
        own_theme(yml=("- theme.css", "- ../../../../../../etc/passwd")),
        (
            f"{THEME_YML}:{theme_line('- theme.css')}: stylesheet '../../../../../../etc/passwd' is outside assets/; "
            "keep the theme's files in the assets folder",
        ),
    ),
    Case(
        "theme",
        "logo-outside-the-assets",
        own_theme(yml=("logo: ../../logos/regio-zwolle.svg", "logo: ../../../../secret.svg")),
        (
            f"{THEME_YML}:{theme_line('logo:')}: logo '../../../../secret.svg' is outside assets/; "
            "keep the theme's files in the assets folder",
        ),
    ),
    Case(
        "theme",
        "invalid-css-with-strict",
        own_theme("h2 { colour: red; }\n"),
        (
            f"{THEME_CSS}:{THEME_CSS_LINES + 1}: Ignored `colour: red` at {THEME_CSS_LINES + 1}:6, unknown property; "
            "WeasyPrint skips this CSS, so correct or remove it (an error because of --strict)",
        ),
        strict=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.kind}:{case.name}")
def test_bad_input_fails_with_exact_errors_and_leaves_dist_unchanged(case, project):
    case.breaks(project)
    assert failed_build(project.root, BuildOptions(strict=case.strict)) == sorted(case.expected)
