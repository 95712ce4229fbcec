"""Make the pictures in docs/authoring.md from the markup shown next to them.

Every Markdown block in authoring.md that follows a line `<!-- picture: NAME -->` becomes
one article of a small real project; the project is built with the real pipeline, and
each article's first page is rendered with pypdfium2 and cropped to what the markup
produced. A block that starts with front matter is an article as it stands and keeps
its title in the picture; any other block gets a title and the picture shows only the
text under it. The layouts picture shows the sample's pages 2 and 3 as A4 brochure and
as A5 pocket edition.

    python3 docs/make_pictures.py            # writes docs/pictures/*.png
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PIL import Image

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))

from publication.commands.build import BuildOptions, BuildResult, build  # noqa: E402
from publication.core.units import PX_PER_PT  # noqa: E402
from publication.render.weasy import boxes, page_box  # noqa: E402

PICTURES = DOCS / "pictures"
DPI = 110
PAD_MM = 3.0

PROJECT_CONFIG = """\
title: Voorbeelden
date: 2016-11-01
publisher: Regio Zwolle
event: {name: Bijeenkomst Regio Zwolle, date: 2016-09-21}
cover: {photo: photos/cover.jpg, photo_alt: Omslag}
colofon:
  publisher: Regio Zwolle Bureau
  editor: Redactie
  photography: Kees Praamstra
  design: Communicatie gemeente Zwolle
  contact: {organisation: Regio Zwolle Bureau}
page: {size: A4}
articles:
"""


@dataclass(frozen=True)
class Example:
    name: str
    markdown: str

    @property
    def whole_article(self) -> bool:
        return self.markdown.startswith("---\n")

    def article_text(self) -> str:
        if self.whole_article:
            return self.markdown
        return f"---\ntitle: Voorbeeld {self.name}\n---\n\n{self.markdown}"


def examples(guide: Path = DOCS / "authoring.md") -> list[Example]:
    """The Markdown blocks of the guide that are marked for a picture, in order."""
    pattern = re.compile(r"<!-- picture: ([a-z0-9-]+) -->\n```markdown\n(.*?)\n```", re.S)
    return [Example(name, body + "\n") for name, body in pattern.findall(guide.read_text(encoding="utf-8"))]


def write_project(root: Path, chosen: list[Example]) -> Path:
    """A small real project with one article per example, and the sample's photos."""
    content = root / "content"
    shutil.copytree(REPO / "content" / "photos", content / "photos")
    listing = "".join(f"  - {index:02d}-{example.name}.md\n" for index, example in enumerate(chosen, 1))
    (content / "publication.yml").write_text(PROJECT_CONFIG + listing, encoding="utf-8")
    for index, example in enumerate(chosen, 1):
        (content / f"{index:02d}-{example.name}.md").write_text(example.article_text(), encoding="utf-8")
    return root


def _element_classes(box) -> set[str]:
    element = getattr(box, "element", None)
    return set((element.get("class") or "").split()) if element is not None else set()


def article_area(result: BuildResult, slug: str, whole: bool) -> tuple[int, tuple[float, float, float, float]]:
    """The page index and the box (in points) around what the article's markup produced."""
    document = result.renditions[0].document
    for index, page in enumerate(document.pages):
        found = [box for box in page_box(page).descendants() if getattr(box, "element", None) is not None
                 and box.element.get("id") == slug and box.element_tag == "article"]
        if not found:
            continue
        article = found[0]
        inner = [box for box in article.descendants()
                 if isinstance(box, (boxes.TextBox, boxes.ReplacedBox)) or "pullquote" in _element_classes(box)
                 or "box" in _element_classes(box)]
        if not whole:
            inner = [box for box in inner if not _inside_title(box, article)]
        if whole:
            inner += [
                box for box in article.descendants() if {"article-title", "opening-header"} & _element_classes(box)
            ]
        left = min(box.border_box_x() for box in inner)
        top = min(box.border_box_y() for box in inner)
        right = max(box.border_box_x() + box.border_width() for box in inner)
        bottom = max(box.border_box_y() + box.border_height() for box in inner)
        return index, tuple(value / PX_PER_PT for value in (left, top, right, bottom))
    raise LookupError(f"article {slug} not found in the document")


def footnote_area(result: BuildResult, page_index: int) -> tuple[float, float, float, float] | None:
    """The box (in points) around the footnotes at the foot of a page, if it has any. Each example
    has a page of its own, so every note on it is the example's."""
    page = result.renditions[0].document.pages[page_index]
    areas = [box for box in page_box(page).descendants() if isinstance(box, boxes.FootnoteAreaBox)]
    notes = [box for area in areas for box in area.descendants() if "footnote" in _element_classes(box)]
    if not notes:
        return None
    rule = 2 * PX_PER_PT  # the rule above the notes, in the area's padding
    return (min(box.border_box_x() for box in notes) / PX_PER_PT,
            min(box.border_box_y() for box in notes) / PX_PER_PT - rule,
            max(box.border_box_x() + box.border_width() for box in notes) / PX_PER_PT,
            max(box.border_box_y() + box.border_height() for box in notes) / PX_PER_PT)


def _inside_title(box, article) -> bool:
    """Whether a box belongs to the article's own heading (the title above the columns)."""
    title = next(
        child
        for child in article.descendants()
        if getattr(child, "element", None) is not None
        and child.element_tag in ("h2", "header")
        and ("article-title" in _element_classes(child) or "opening-header" in _element_classes(child))
    )
    return title.position_y <= box.position_y < title.position_y + title.margin_height()


def render_crop(pdf: Path, page_index: int, area: tuple[float, float, float, float], dpi: int = DPI) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page_index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()
    pad = PAD_MM / 25.4 * 72
    left, top, right, bottom = (max(0, area[0] - pad), max(0, area[1] - pad), area[2] + pad, area[3] + pad)
    scale = dpi / 72
    return image.crop(tuple(round(value * scale) for value in (left, top, right, bottom)))


def save_small(image: Image.Image, path: Path) -> None:
    """PNG with a 256-colour palette: crisp type, a few tens of KB per picture."""
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


STANDARD_ONLY = BuildOptions(targets=("standard",))
"""The pictures show the designed pages; the print and screen files are not needed."""


def make_element_pictures(work: Path) -> list[Path]:
    chosen = examples()
    result = build(write_project(work / "examples", chosen), STANDARD_ONLY)
    pdf = result.project.dist_dir / f"{result.project.slug}.pdf"
    written = []
    for index, example in enumerate(chosen, 1):
        page, area = article_area(result, f"{index:02d}-{example.name}", example.whole_article)
        path = PICTURES / f"{example.name}.png"
        picture = render_crop(pdf, page, area)
        notes = footnote_area(result, page)
        if notes:  # the text, then the notes from the foot of its page, without the empty page between
            below = render_crop(pdf, page, (area[0], notes[1] - 4, area[2], notes[3]))
            stacked = Image.new("RGB", (picture.width, picture.height + below.height), "white")
            stacked.paste(picture, (0, 0))
            stacked.paste(below, (0, picture.height))
            picture = stacked
        save_small(picture, path)
        written.append(path)
    return written


def make_layouts_picture(work: Path, pages: tuple[int, int] = (2, 3), dpi: int = 36) -> Path:
    """Pages 2-3 of the sample as A4 brochure and as A5 pocket edition, at the same scale."""
    spreads = []
    for size in ("A4", "A5"):
        root = work / f"sample-{size}"
        shutil.copytree(REPO / "content", root / "content")
        config = root / "content" / "publication.yml"
        config.write_text(
            config.read_text(encoding="utf-8").replace("  size: A4\n", f"  size: {size}\n"), encoding="utf-8"
        )
        result = build(root, STANDARD_ONLY)
        document = pypdfium2.PdfDocument(result.project.dist_dir / f"{result.project.slug}.pdf")
        try:
            rendered = [document[number - 1].render(scale=dpi / 72).to_pil().convert("RGB") for number in pages]
        finally:
            document.close()
        spread = Image.new("RGB", (sum(page.width for page in rendered), rendered[0].height), "white")
        for offset, page in enumerate(rendered):
            spread.paste(page, (offset * rendered[0].width, 0))
        spreads.append(spread)
    gap = 24
    picture = Image.new(
        "RGB", (sum(s.width for s in spreads) + gap * 3, max(s.height for s in spreads) + gap * 2), (200, 200, 200)
    )
    x = gap
    for spread in spreads:
        picture.paste(spread, (x, picture.height - gap - spread.height))
        x += spread.width + gap
    path = PICTURES / "layouts.png"
    save_small(picture, path)
    return path


def main() -> None:
    PICTURES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        written = make_element_pictures(Path(scratch)) + [make_layouts_picture(Path(scratch))]
    for path in written:
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
