"""`publication new`: the new folder builds at once, and its files point at the schemas."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest
from click.testing import CliRunner
from conftest import REPO
from PIL import Image
from pypdf import PdfReader

from publication.cli import main
from publication.commands.build import BuildOptions, build
from publication.commands.check import check_project
from publication.commands.new import create_project
from publication.core.problems import BuildFailed


@pytest.fixture(scope="module")
def new_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("new") / "vervolgbijeenkomst-2017"
    result = CliRunner().invoke(main, ["new", str(folder), "--language", "nl"])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def built(new_project):
    return build(new_project)


def test_new_folder_has_settings_example_article_empty_photos_and_gitignore(new_project):
    content = new_project / "content"
    assert (content / "publication.yml").is_file()
    assert sorted(p.name for p in content.glob("*.md")) == ["01-voorbeeld.md"]
    assert (content / "photos").is_dir() and not any((content / "photos").iterdir())
    ignored = (new_project / ".gitignore").read_text().split()
    assert "dist/" in ignored and ".cache/" in ignored


def test_new_folder_builds_and_the_pdf_shows_the_example(built):
    pdf = built.project.dist_dir / f"{built.project.slug}.pdf"
    assert pdf.name == "vervolgbijeenkomst-2017.pdf"
    reader = PdfReader(pdf)
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "Vervolgbijeenkomst 2017" in text
    for element in ("Zo schrijft u een artikel", "Een tussenkop", "Een citaat springt eruit",
                    "Naam van de spreker", "Een kader", "Colofon"):
        assert element in text
    assert built.warnings == ()


def test_example_article_uses_every_element(built):
    html = built.renditions[0].html
    for marker in ('class="lead"', "<h2 ", "<h3 ", 'class="pullquote"', 'class="attribution"',
                   'class="photo inline"', 'class="photo full-width"', 'class="box"', "<figcaption>",
                   'class="credit"', "<em>", "<strong>", 'class="footnote"'):
        assert marker in html, marker


def test_example_photos_are_labelled_and_sharp_enough_for_print(new_project):
    photos = sorted((new_project / "content" / "voorbeeld").glob("*.jpg"))
    assert len(photos) == 4
    cover = Image.open(new_project / "content" / "voorbeeld" / "omslag.jpg")
    # The cover fills an A4 page plus 3 mm bleed: 216 x 303 mm at 300 ppi.
    assert cover.width >= 216 / 25.4 * 300 and cover.height >= 303 / 25.4 * 300


def test_pdf_uses_only_the_fonts_shipped_in_assets(built):
    pdf = built.project.dist_dir / f"{built.project.slug}.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]}
    assert names and all(name.startswith(("Source-Sans-Pro", "Source-Serif-Pro")) for name in names), names


def test_scaffolded_files_name_schemas_that_exist(new_project):
    for name in ("publication.yml", "01-voorbeeld.md"):
        path = new_project / "content" / name
        match = re.search(r"# yaml-language-server: \$schema=(\S+)", path.read_text(encoding="utf-8"))
        assert match, name
        assert (path.parent / match.group(1)).resolve().is_file(), match.group(1)


def test_vs_code_is_told_to_offer_the_yaml_extension(new_project):
    recommended = json.loads((new_project / ".vscode" / "extensions.json").read_text(encoding="utf-8"))
    assert "redhat.vscode-yaml" in recommended["recommendations"]


def test_new_project_passes_check(new_project):
    assert check_project(new_project) == []


def test_date_and_edition_come_from_the_day_it_was_made(tmp_path):
    for language, month in (("nl", "maart 2017"), ("en", "March 2017"), ("de", "März 2017")):
        create_project(tmp_path / language, today=dt.date(2017, 3, 9), language=language)
        text = (tmp_path / language / "content" / "publication.yml").read_text(encoding="utf-8")
        assert "date: 2017-03-09" in text and f"edition: {month}" in text, language


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "bestaand").mkdir()
    (tmp_path / "bestaand" / "notities.txt").write_text("van iemand anders")
    with pytest.raises(BuildFailed) as failed:
        create_project(tmp_path / "bestaand")
    assert "is not empty" in str(failed.value)
    assert sorted(p.name for p in (tmp_path / "bestaand").iterdir()) == ["notities.txt"]


def test_new_command_refuses_a_folder_in_use_and_says_nothing_was_written(tmp_path):
    (tmp_path / "bestaand").mkdir()
    (tmp_path / "bestaand" / "notities.txt").write_text("van iemand anders")
    result = CliRunner().invoke(main, ["new", str(tmp_path / "bestaand")])
    assert result.exit_code == 1
    assert "'bestaand' is not empty" in result.output and "Nothing was written." in result.output
    assert "dist/" not in result.output


def test_sample_publication_yml_names_the_shipped_schema():
    text = (REPO / "content" / "publication.yml").read_text(encoding="utf-8")
    match = re.search(r"# yaml-language-server: \$schema=(\S+)", text)
    assert match and (REPO / "content" / match.group(1)).resolve().is_file()


def test_new_project_builds_as_a5_pocket_edition_too(tmp_path):
    create_project(tmp_path / "boekje")
    config = tmp_path / "boekje" / "content" / "publication.yml"
    text = config.read_text(encoding="utf-8")
    assert "  size: A4\n" in text
    config.write_text(text.replace("  size: A4\n", "  size: A5\n"), encoding="utf-8")
    result = build(tmp_path / "boekje")
    reader = PdfReader(result.project.dist_dir / "boekje.pdf")
    assert len(reader.pages) % 4 == 0
    assert float(reader.pages[0].mediabox.width) == pytest.approx(148 * 72 / 25.4, abs=0.5)
    assert result.warnings == ()


SAMPLE_WORDS = ("Zwolle", "zwolle", "038 ", "8000 GA", "Postbus", "gemeenten", "toplocatie")


@pytest.mark.parametrize("language, article, words", [
    ("en", "01-example.md", ("How to write an article", "A subheading", "Colophon", "Published by")),
    ("de", "01-beispiel.md", ("So schreiben Sie einen Artikel", "Impressum", "Herausgeber")),
])
def test_new_in_another_language_writes_its_words_and_nothing_of_the_sample(tmp_path, language, article, words):
    folder = tmp_path / "annual-report"
    result = CliRunner().invoke(main, ["new", str(folder), "--language", language])
    assert result.exit_code == 0, result.output
    content = folder / "content"
    assert sorted(p.name for p in content.glob("*.md")) == [article]
    settings = (content / "publication.yml").read_text(encoding="utf-8")
    assert f"language: {language}\n" in settings and "theme: plain\n" in settings
    for path in (content / "publication.yml", content / article):
        text = path.read_text(encoding="utf-8")
        leaked = [word for word in SAMPLE_WORDS if word in text] + re.findall(r"\b(?:Dit|Het|een|Foto’s|u)\b", text)
        assert leaked == [], (path.name, leaked)
    assert check_project(folder) == []
    built = build(folder, BuildOptions(targets=("standard",)))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(built.written[0]).pages))
    for word in words:
        assert word in text, word
    for word in SAMPLE_WORDS + ("Colofon", "Uitgave", "Redactie", "Vormgeving"):
        assert word not in text, word


def test_new_speaks_english_unless_told_otherwise(tmp_path):
    create_project(tmp_path / "p")
    assert "language: en\n" in (tmp_path / "p" / "content" / "publication.yml").read_text(encoding="utf-8")
    assert (tmp_path / "p" / "content" / "01-example.md").is_file()


def test_new_refuses_a_language_it_has_no_starter_in(tmp_path):
    result = CliRunner().invoke(main, ["new", str(tmp_path / "p"), "--language", "fr"])
    assert result.exit_code == 2 and "'fr' is not one of 'en', 'nl', 'de'" in result.output
    assert not (tmp_path / "p").exists()


def test_two_reviewers_comments_on_two_branches_merge_without_a_conflict(tmp_path):
    """The preview appends each comment to review/comments.yml; the new folder's .gitattributes
    (merge=union) lets git merge two reviewers' branches, each with a comment, keeping both."""
    from publication.commands.review import REVIEW_FILE, Place, add_comment, read_entries

    folder = tmp_path / "brochure"
    create_project(folder)
    assert "review/comments.yml merge=union" in (folder / ".gitattributes").read_text(encoding="utf-8")

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                               "-c", "commit.gpgsign=false", *args], cwd=folder, capture_output=True, text=True,
                              timeout=60)

    assert git("init", "-q", "-b", "main").returncode == 0
    add_comment(folder, Place(1, 20.0, 30.0, None, None, None, ""), "Editor", "The first comment, on main.")
    assert git("add", "-A").returncode == 0 and git("commit", "-qm", "start").returncode == 0
    for reviewer in ("anna", "bob"):
        assert git("checkout", "-q", "-b", reviewer, "main").returncode == 0
        add_comment(folder, Place(2, 40.0, 50.0, None, None, None, ""), reviewer.title(), f"{reviewer} was here.")
        assert git("commit", "-qam", f"{reviewer}'s comment").returncode == 0
    assert git("checkout", "-q", "main").returncode == 0
    assert git("merge", "-q", "anna").returncode == 0
    merged = git("merge", "-q", "--no-edit", "bob")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "<<<<<<<" not in (folder / REVIEW_FILE).read_text(encoding="utf-8")
    comments = {entry["author"]: entry["comment"] for entry in read_entries(folder)}
    assert comments == {"Editor": "The first comment, on main.", "Anna": "anna was here.", "Bob": "bob was here."}
