"""Hard but valid input (issue #7, section 1): these must give a correct PDF, checked in the PDF itself."""

from __future__ import annotations

import re

import pypdfium2
import pytest
from conftest import REPO
from helpers import body_text, built, characters_outside_the_page, embedded_images, flat_text, write_png16
from PIL import Image

from publication.commands.build import build

COVER_COLOUR = (90, 120, 160)  # the factory's cover photo


def close_to(colour, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def placed_lines(pdf) -> list[list[tuple[float, float, str]]]:
    """Per page, each line of text as PDFium reads it, with the left and top of its first character (pt)."""
    pages = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            textpage = page.get_textpage()
            lines = []
            for match in re.finditer(r"[^\r\n]+", textpage.get_text_range()):
                left, _, _, top = textpage.get_charbox(match.start(), loose=True)
                lines.append((left, top, match.group().strip()))
            pages.append(lines)
    finally:
        document.close()
    return pages


def article_photos(pdf) -> list[Image.Image]:
    """The placed photos except the cover, which the factory paints in one known colour."""
    photos = [image for image in embedded_images(pdf)
              if not close_to(image.getpixel((image.width // 2, image.height // 2)), COVER_COLOUR, 6)]
    assert photos, "no photo besides the cover in the PDF"
    return photos


def use_photo(project, name: str) -> None:
    project.edit("01-artikel.md", "photos/foto.jpg", f"photos/{name}")


def test_byte_order_marks_are_accepted(project):
    for name in ("publication.yml", "01-artikel.md"):
        path = project.content / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result, pdf = built(project.root)
    assert result.project.config.title == "Testbrochure"
    text = flat_text(pdf)
    assert "Een artikel" in text and "\ufeff" not in text


def test_exif_rotated_photo_comes_out_upright(project):
    stored = Image.new("RGB", (600, 400), (220, 0, 0))
    stored.paste((0, 0, 220), (300, 0, 600, 400))  # as stored: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the left edge becomes the top
    stored.save(project.content / "photos" / "gedraaid.jpg", exif=exif, quality=95)
    use_photo(project, "gedraaid.jpg")
    _, pdf = built(project.root)
    [photo] = article_photos(pdf)
    assert photo.height > photo.width, photo.size
    assert close_to(photo.getpixel((photo.width // 2, photo.height // 4)), (220, 0, 0))
    assert close_to(photo.getpixel((photo.width // 2, photo.height * 3 // 4)), (0, 0, 220))


def test_cmyk_jpeg_with_adobe_inversion_keeps_its_colours(project):
    path = project.content / "photos" / "cmyk.jpg"
    Image.new("CMYK", (600, 400), (0, 255, 255, 0)).save(path, quality=95)  # 100% magenta + yellow: red
    assert b"Adobe" in path.read_bytes()[:200], "Pillow should have written an Adobe (inverted CMYK) marker"
    use_photo(project, "cmyk.jpg")
    _, pdf = built(project.root)
    [photo] = article_photos(pdf)
    assert close_to(photo.getpixel((photo.width // 2, photo.height // 2)), (255, 0, 0)), \
        "inverted CMYK read as if it were not inverted gives cyan"


def test_16_bit_png_with_alpha_is_flattened_on_white(project):
    def pixel(x, y):
        return (0, 0, 65535, 65535) if x < 150 else (65535, 0, 0, 0)  # opaque blue | transparent red
    write_png16(project.content / "photos" / "diep.png", 300, 200, pixel)
    with Image.open(project.content / "photos" / "diep.png") as check:
        assert check.getpixel((10, 10))[3] == 255 and check.getpixel((290, 10))[3] == 0
    use_photo(project, "diep.png")
    _, pdf = built(project.root)
    [photo] = article_photos(pdf)
    assert close_to(photo.getpixel((photo.width // 4, photo.height // 2)), (0, 0, 255))
    assert close_to(photo.getpixel((photo.width * 3 // 4, photo.height // 2)), (255, 255, 255))


def test_image_30000_pixels_wide_is_scaled_down(project):
    wide = Image.new("RGB", (30_000, 400), (240, 140, 0))
    wide.save(project.content / "photos" / "panorama.png")
    use_photo(project, "panorama.png")
    _, pdf = built(project.root)
    [photo] = article_photos(pdf)
    assert photo.width <= 1200, f"placed at column width, the photo needs no more pixels: {photo.size}"
    assert photo.height == round(400 * photo.width / 30_000), f"the proportions changed: {photo.size}"
    assert close_to(photo.getpixel((photo.width // 2, photo.height // 2)), (240, 140, 0))


def test_a_5000_character_word_breaks_inside_the_page(project):
    word = "donaudampfschifffahrt" * 238 + "ende"  # 5002 characters, no hyphenation points in a dictionary
    assert len(word) >= 5000
    project.edit("01-artikel.md", "Tweede alinea.", f"Tweede {word} alinea.")
    _, pdf = built(project.root)
    assert characters_outside_the_page(pdf) == []
    assert word in re.sub(r"[^a-z]", "", body_text(pdf)), "part of the word is missing from the PDF"


def test_a_200_row_table_runs_over_pages_without_overflow(project):
    rows = "".join(f"| Rij {n} | Waarde {n * 7} | Opmerking bij rij {n} |\n" for n in range(1, 201))
    project.edit("01-artikel.md", "Tweede alinea.",
                 "Tweede alinea.\n\n| Rij | Waarde | Opmerking |\n|---|--:|---|\n" + rows)
    result, pdf = built(project.root)
    assert result.warnings == ()
    assert characters_outside_the_page(pdf) == []
    text = flat_text(pdf)
    positions = [text.find(f"Rij {n} Waarde {n * 7} ") for n in range(1, 201)]
    assert -1 not in positions, [n for n, at in zip(range(1, 201), positions) if at < 0][:5]
    assert positions == sorted(positions), "rows are out of order"
    # The header row repeats: every column of every page the table runs over begins with it.
    header, row = "Rij Waarde Opmerking", re.compile(r"Rij (\d+) Waarde \d+ Opmerking bij rij \1")
    rows, columns_with_table = [], 0
    for number, lines in enumerate(placed_lines(pdf), 1):
        columns = {}
        for left, top, line in lines:
            if line == header or row.fullmatch(line):
                columns.setdefault(round(left), []).append((-top, line))
        for left in sorted(columns):
            column = [line for _, line in sorted(columns[left])]
            assert column[0] == header, f"page {number}: the table's column at {left} pt begins with {column[0]!r}"
            assert column.count(header) == 1, f"page {number}: the table's column at {left} pt"
            rows += [int(row.fullmatch(line).group(1)) for line in column[1:]]
            columns_with_table += 1
    assert columns_with_table >= 3
    assert rows == list(range(1, 201)), "each row once, in order, below the header of its column"


def test_template_code_in_content_stays_literal(project):
    project.edit("01-artikel.md", "title: Een artikel", "title: 'Som {{ 7*7 }}'")
    project.edit("01-artikel.md", "Tweede alinea.",
                 "Uitkomst {{ 7*7 }} en {% include 'base.html.j2' %} en {# niets #}.")
    _, pdf = built(project.root)
    text = flat_text(pdf)
    assert "Som {{ 7*7 }}" in text
    assert "Uitkomst {{ 7*7 }} en {% include ‘base.html.j2’ %} en {# niets #}." in text
    assert "49" not in text and "<!DOCTYPE" not in text


def test_script_and_raw_html_are_printed_as_text(project):
    project.edit("01-artikel.md", "Tweede alinea.",
                 "<script>alert('x')</script>\n\nEen <b>vet</b> woord en <img src=x onerror=alert(1)>.\n\n"
                 '<div style="color:red">blok</div>')
    result, pdf = built(project.root)
    html = (project.root / "dist" / "testbrochure.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|b|div style|img src=x)\b", html, re.IGNORECASE)
    assert "&lt;script&gt;" in html
    text = flat_text(pdf)
    assert "<script>alert(‘x’)</script>" in text
    assert "Een <b>vet</b> woord en <img src=x onerror=alert(1)>." in text
    assert '<div style=“color:red”>blok</div>' in text


def test_invalid_css_in_a_project_theme_is_a_warning_with_its_file_and_line(project, tmp_path):
    import shutil

    shutil.copytree(REPO / "assets", project.root / "assets")
    project.edit("publication.yml", "articles:", "theme: regio-zwolle\narticles:")
    theme = project.root / "assets" / "themes" / "regio-zwolle" / "theme.css"
    lines = theme.read_text(encoding="utf-8").count("\n")
    theme.write_text(theme.read_text(encoding="utf-8") + "h2 {\n  font-size: groot;\n}\n", encoding="utf-8")
    result = build(project.root)
    assert [str(issue) for issue in result.warnings] == [
        f"assets/themes/regio-zwolle/theme.css:{lines + 2}: warning: Ignored `font-size: groot` at {lines + 2}:3, "
        "invalid value; WeasyPrint skips this CSS, so correct or remove it",
    ]


@pytest.mark.parametrize("name", ["a.jpg", "foto met spaties.jpg", "één.jpg"])
def test_photo_names_with_spaces_and_accents(project, name):
    Image.new("RGB", (400, 300), (0, 160, 0)).save(project.content / "photos" / name)
    project.edit("01-artikel.md", "photos/foto.jpg", f"<photos/{name}>" if " " in name else f"photos/{name}")
    _, pdf = built(project.root)
    [photo] = article_photos(pdf)
    assert close_to(photo.getpixel((photo.width // 2, photo.height // 2)), (0, 160, 0))
