"""`publication new`: a new publication folder that builds at once.

The starter files live in `publication/_builtin/starter/` as plain files (a commented
publication.yml, one example article that uses every element, a .gitignore, a .gitattributes). The
example photos are drawn here with Pillow and labelled as examples, so a new folder
never contains someone else's photo, and they are large enough for print (300 ppi).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..config.schema import SCHEMAS, file_name, schema_text
from ..core.builtin import BUILTIN_ASSETS, STARTER_DIR
from ..core.i18n import words_for
from ..core.problems import Code, error, raise_if_errors
from ..render.images import resample

STARTER = STARTER_DIR
SCHEMA_FOLDER = ".schemas"
LABEL_FONT = BUILTIN_ASSETS / "fonts" / "source-sans-pro" / "SourceSansPro-Semibold.ttf"


@dataclass(frozen=True)
class ExamplePhoto:
    name: str
    label: str
    size: tuple[int, int]
    """Pixels: enough for 300 ppi where the layout places it."""


@dataclass(frozen=True)
class Starter:
    """What `publication new --language` writes in one language: the files in starter/<language>/
    and the example photos they name."""

    article: str
    folder: str
    """Where the example photos go, under content/."""
    photo_label: str
    photos: tuple[ExamplePhoto, ...]
    untitled: str
    new_folder_example: str


STARTERS = {
    "en": Starter("01-example.md", "example", "EXAMPLE PHOTO", (
        ExamplePhoto("cover.jpg", "cover", (2600, 3650)),
        ExamplePhoto("back-cover.jpg", "back cover", (2600, 2600)),
        ExamplePhoto("photo-column.jpg", "column", (1000, 750)),
        ExamplePhoto("photo-wide.jpg", "wide", (2100, 1300))), "New publication", "annual-report-2027"),
    "nl": Starter("01-voorbeeld.md", "voorbeeld", "VOORBEELDFOTO", (
        ExamplePhoto("omslag.jpg", "omslag", (2600, 3650)),
        ExamplePhoto("achterkant.jpg", "achterkant", (2600, 2600)),
        ExamplePhoto("foto-kolom.jpg", "kolom", (1000, 750)),
        ExamplePhoto("foto-breed.jpg", "breed", (2100, 1300))), "Nieuwe publicatie", "jaarverslag-2027"),
    "de": Starter("01-beispiel.md", "beispiel", "BEISPIELFOTO", (
        ExamplePhoto("titelseite.jpg", "Titelseite", (2600, 3650)),
        ExamplePhoto("rueckseite.jpg", "Rückseite", (2600, 2600)),
        ExamplePhoto("foto-spalte.jpg", "Spalte", (1000, 750)),
        ExamplePhoto("foto-breit.jpg", "breit", (2100, 1300))), "Neue Publikation", "jahresbericht-2027"),
}
"""The languages `publication new` writes a starter in; the default is English."""

LANGUAGES = tuple(STARTERS)


def title_from(folder: Path, untitled: str) -> str:
    words = re.sub(r"[-_]+", " ", folder.name).strip()
    return (words[:1].upper() + words[1:]) if words else untitled


def fill_in(text: str, values: dict[str, str]) -> str:
    """Replace {{name}} in a starter file; only our own starter files pass through here."""
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], text)


def draw_example_photo(photo: ExamplePhoto, path: Path, photo_label: str) -> None:
    """A calm two-tone picture that says plainly that it is an example."""
    width, height = photo.size
    image = Image.new("RGB", photo.size)
    top, bottom = (70, 120, 160), (150, 185, 120)
    gradient = resample(Image.linear_gradient("L"), photo.size)
    image.paste(Image.composite(Image.new("RGB", photo.size, bottom), Image.new("RGB", photo.size, top), gradient))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(255, 255, 255), width=max(4, width // 200))
    draw.line((0, 0, width, height), fill=(255, 255, 255), width=max(2, width // 400))
    draw.line((0, height, width, 0), fill=(255, 255, 255), width=max(2, width // 400))
    font = ImageFont.truetype(str(LABEL_FONT), size=max(24, min(width, height) // 9))
    small = ImageFont.truetype(str(LABEL_FONT), size=max(14, min(width, height) // 22))
    # Two labels stacked around the centre: a small "EXAMPLE PHOTO" above the large name.
    labels = [(text, face, draw.textbbox((0, 0), text, font=face))
              for text, face in ((photo_label, small), (photo.label, font))]
    pad = [0.3 * (box[3] - box[1]) for _, _, box in labels]
    heights = [box[3] - box[1] + 2 * p for (_, _, box), p in zip(labels, pad)]
    y = (height - sum(heights)) / 2
    for (text, face, box), p, h in zip(labels, pad, heights):
        x = (width - (box[2] - box[0])) / 2
        draw.rectangle((x - p, y, x + box[2] - box[0] + p, y + h), fill=(29, 29, 27))
        draw.text((x - box[0], y + p - box[1]), text, font=face, fill=(255, 255, 255))
        y += h
    image.save(path, "JPEG", quality=85, dpi=(300, 300))


def create_project(folder: Path, today: dt.date | None = None, language: str = "en") -> list[Path]:
    """Write a new publication into `folder` (new or empty), in `language` (en, nl or de): its
    settings, comments, example article and example photos. Returns the files written."""
    folder = folder.resolve()
    if language not in STARTERS:
        raise_if_errors([error(str(folder), None, f"there is no starter in '{language}'; choose one of "
                               f"{', '.join(LANGUAGES)}", Code.NO_STARTER)])
    starter = STARTERS[language]
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        what = "is a file" if not folder.is_dir() else "is not empty"
        raise_if_errors([error(str(folder), None, f"'{folder.name}' {what}; choose the name of a new folder, "
                               f"e.g. 'publication new {starter.new_folder_example}'", Code.FOLDER_NOT_EMPTY)])
    today = today or dt.date.today()
    values = {"title": json.dumps(title_from(folder, starter.untitled), ensure_ascii=False), "today": today.isoformat(),
              "month_year": words_for(language).month_year(today)}
    content = folder / "content"
    written = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for name in ("publication.yml", starter.article):
        write(content / name, fill_in((STARTER / language / name).read_text(encoding="utf-8"), values))
    write(folder / ".gitignore", (STARTER / "gitignore").read_text(encoding="utf-8"))
    # Two reviewers' comments in the preview, on two branches, merge without a conflict.
    write(folder / ".gitattributes", (STARTER / "gitattributes").read_text(encoding="utf-8"))
    # VS Code offers to install the YAML extension, which reads the schemas, on opening the folder.
    write(folder / ".vscode" / "extensions.json", (STARTER / "vscode-extensions.json").read_text(encoding="utf-8"))
    for kind in SCHEMAS:
        write(folder / SCHEMA_FOLDER / file_name(kind), schema_text(kind))
    (content / "photos").mkdir()
    for photo in starter.photos:
        path = content / starter.folder / photo.name
        path.parent.mkdir(parents=True, exist_ok=True)
        draw_example_photo(photo, path, starter.photo_label)
        written.append(path)
    return written


__all__ = ["create_project", "LANGUAGES", "STARTERS"]
