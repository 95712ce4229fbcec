"""`publication new`: a new publication folder that builds at once.

The starter files live in `publication/_builtin/starter/` as plain files (a commented
publication.yml, one example article that uses every element, a .gitignore). The
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
from ..core.problems import Code, error, raise_if_errors
from ..render.html import DUTCH_MONTHS
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


EXAMPLE_PHOTOS = (
    ExamplePhoto("omslag.jpg", "omslag", (2600, 3650)),
    ExamplePhoto("achterkant.jpg", "achterkant", (2600, 2600)),
    ExamplePhoto("foto-kolom.jpg", "kolom", (1000, 750)),
    ExamplePhoto("foto-breed.jpg", "breed", (2100, 1300)),
)


def title_from(folder: Path) -> str:
    words = re.sub(r"[-_]+", " ", folder.name).strip()
    return (words[:1].upper() + words[1:]) if words else "Nieuwe publicatie"


def fill_in(text: str, values: dict[str, str]) -> str:
    """Replace {{name}} in a starter file; only our own starter files pass through here."""
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], text)


def draw_example_photo(photo: ExamplePhoto, path: Path) -> None:
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
    # Two labels stacked around the centre: a small "VOORBEELDFOTO" above the large name.
    labels = [(text, face, draw.textbbox((0, 0), text, font=face))
              for text, face in (("VOORBEELDFOTO", small), (photo.label, font))]
    pad = [0.3 * (box[3] - box[1]) for _, _, box in labels]
    heights = [box[3] - box[1] + 2 * p for (_, _, box), p in zip(labels, pad)]
    y = (height - sum(heights)) / 2
    for (text, face, box), p, h in zip(labels, pad, heights):
        x = (width - (box[2] - box[0])) / 2
        draw.rectangle((x - p, y, x + box[2] - box[0] + p, y + h), fill=(29, 29, 27))
        draw.text((x - box[0], y + p - box[1]), text, font=face, fill=(255, 255, 255))
        y += h
    image.save(path, "JPEG", quality=85, dpi=(300, 300))


def create_project(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write a new publication into `folder` (new or empty). Returns the files written."""
    folder = folder.resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        what = "is a file" if not folder.is_dir() else "is not empty"
        raise_if_errors([error(str(folder), None, f"'{folder.name}' {what}; choose the name of a new folder, "
                               "e.g. 'publication new vervolgbijeenkomst-2017'", Code.FOLDER_NOT_EMPTY)])
    today = today or dt.date.today()
    values = {"title": json.dumps(title_from(folder), ensure_ascii=False), "today": today.isoformat(),
              "month_year": f"{DUTCH_MONTHS[today.month - 1]} {today.year}"}
    content = folder / "content"
    written = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for name in ("publication.yml", "01-voorbeeld.md"):
        write(content / name, fill_in((STARTER / name).read_text(encoding="utf-8"), values))
    write(folder / ".gitignore", (STARTER / "gitignore").read_text(encoding="utf-8"))
    # VS Code offers to install the YAML extension, which reads the schemas, on opening the folder.
    write(folder / ".vscode" / "extensions.json", (STARTER / "vscode-extensions.json").read_text(encoding="utf-8"))
    for kind in SCHEMAS:
        write(folder / SCHEMA_FOLDER / file_name(kind), schema_text(kind))
    (content / "photos").mkdir()
    for photo in EXAMPLE_PHOTOS:
        path = content / "voorbeeld" / photo.name
        path.parent.mkdir(parents=True, exist_ok=True)
        draw_example_photo(photo, path)
        written.append(path)
    return written


__all__ = ["create_project"]
