"""The web edition: the whole publication as one accessible, responsive HTML page in dist/web/.

Everything the page needs is in dist/web/, so the folder can be put on any web server as it is:
`index.html` (from the layout `layouts/web/index.html.j2`), `style.css` (`layouts/web/style.css`),
the photos in three widths (`photos/`), the theme's fonts as WOFF subsets of the characters on
the page (`fonts/`, render/fontsubset.py), the theme's logo, a sharing picture of the cover (`cover.jpg`) and the
screen PDF to download. Nothing is loaded from elsewhere.

- The articles are the same HTML fragments the brochure is typeset from, rewritten for a
  browser (`web_fragment`): photos get a `srcset` of their web versions, footnotes become
  linked notes at the end of their article (as Pandoc writes them), tables scroll sideways in a
  focusable region on a narrow screen, and the attributes only the PDF needs are dropped.
- Colours are the theme's RGB values. A colour that text is set in is darkened, where it must be,
  until it has a contrast of 4.5:1 (WCAG 2.1 AA) with the paper and the tint it stands on
  (`readable`).
- Photos are made with render/images.py, from the originals, in sRGB at `WIDTHS` pixels wide
  (never enlarged), as progressive JPEG, and cached in .cache/images with the other versions.
- Every file is made from the sources alone: a rebuild gives the same bytes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import tinycss2
from fontTools.ttLib import TTFont, TTLibError
from lxml import html as lxml_html
from markupsafe import Markup
from PIL import Image

from ..config.theme import Theme
from ..content.markdown import Figure, render_article
from ..content.sources import Project
from ..core.builtin import BUILTIN_ROOT
from ..core.dist import Output, cache_folder
from ..core.files import is_inside, slugify
from ..core.i18n import words_for
from ..core.problems import BuildFailed, Code, error
from ..core.raster import render_pages
from ..render.fontsubset import woff_subset
from ..render.html import css_string, environment, layout_dirs
from ..render.images import PHOTO_PROGRESS, ImageRequest, PhotoVersion, PreparedImage, prepare_photos
from ..render.rendition import Rendition
from .edition import Edition
from .screen import SCREEN

FOLDER = "web"
WIDTHS = (480, 960, 1600)
"""The widths, in pixels, each photo is made in: a phone, a laptop, a large or sharp screen."""
PORTRAIT_WIDTHS = (480, 720, 1080)
"""An upright photo stays in the text's column (style.css: `.portrait`), so it is never shown as wide."""
WEB_QUALITY = 68
_PPI = 254
"""Photos are asked for by their width in millimetres (ImageRequest): at 254 ppi a pixel is a tenth of one."""
COVER_PICTURE_WIDTH = 800
"""The sharing picture (Open Graph) of the cover page, in pixels wide."""
TEXT_COLUMN_REM = 36
"""The width of the text's column in layouts/web/style.css."""
MIN_CONTRAST = 4.5
"""WCAG 2.1 AA, 1.4.3: text against its background."""
SIZES = {
    "cover": "100vw",
    "inline": "(min-width: 50rem) 18rem, 100vw",
    "full-width": "(min-width: 62rem) 60rem, 100vw",
    "full-bleed": "(min-width: 62rem) 60rem, 100vw",
    "portrait": "(min-width: 40rem) 36rem, 100vw",
    "box": "(min-width: 46rem) 40rem, 100vw",
}
"""How wide each kind of photo is shown (the `sizes` attribute), as `layouts/web/style.css` places it."""
FACES = (("serif", 400, "normal"), ("serif", 400, "italic"), ("serif", 700, "normal"), ("serif", 700, "italic"),
         ("sans", 400, "normal"), ("sans", 600, "normal"), ("sans", 700, "normal"))
"""The faces `layouts/web/style.css` sets text in; each is served by the theme's nearest face."""


def finish_web(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    config = project.config
    words = words_for(config.language)
    outputs: dict[str, Output] = {}

    def add(name: str, data: bytes, purpose: str) -> str:
        outputs[f"{FOLDER}/{name}"] = Output(f"{FOLDER}/{name}", data, purpose)
        return name

    # Every photo of the articles and the cover, in each width.
    articles = [render_article(article.source, project)[0] for article in rendition.articles]
    cover = _cover(project)
    photos = WebPhotos(project, _photo_paths(project, articles))
    for name, data in photos.files():
        add(name, data, "a photo of the web edition")

    # The first photo on the page is wanted at once, the others when they come into view.
    masthead = photos.picture(cover, config.cover.photo_alt, "cover") if cover else None
    rendered = []
    for article in articles:
        slug = Path(article.source.display_path).stem
        fragment, article_notes = web_fragment(article.html, article.figures, photos, slug, words)
        front = article.source.front
        rendered.append({"slug": slug, "title": front.title,
                         "subtitle": getattr(front, "subtitle", "") or "", "layout": front.layout,
                         "html": Markup(fragment), "notes": article_notes})

    [screen] = SCREEN.finish(project, rendition, SCREEN)
    pdf_name = add(screen.name, screen.data, "the screen PDF, for download from the web edition")
    [first_page] = render_pages(screen.data, numbers=[1], width_px=COVER_PICTURE_WIDTH)
    cover_picture = add("cover.jpg", _jpeg(first_page.image.convert("RGB")), "the web edition's sharing picture")

    theme = rendition.theme
    logo = add(f"logo{theme.logo.suffix}", theme.logo.read_bytes(), "the logo in the web edition") \
        if theme.logo and theme.logo.is_file() else ""
    faces = theme_faces(theme, project)
    style = next((folder / FOLDER / "style.css" for folder in layout_dirs(project.root)
                  if (folder / FOLDER / "style.css").is_file()), None)
    if style is None:
        raise BuildFailed([error("layouts", None, f"layout file '{FOLDER}/style.css' not found", Code.LAYOUT_MISSING)])
    add("style.css", style.read_bytes(), "the web edition's stylesheet")

    context = {
        "publication": config,
        "_": words,
        "description": config.subtitle or _first_lead(articles) or config.title,
        "cover": masthead,
        "articles": rendered,
        "logo": logo,
        "pdf": {"href": pdf_name, "size": _megabytes(len(screen.data), words)},
        "cover_picture": {"href": cover_picture, "width": first_page.image.width, "height": first_page.image.height},
        "theme_css": Markup(theme_css(theme, faces)),
    }
    page = render_layout(project, context)
    for face in faces:
        add(face.name, face.woff(page), "a font of the web edition")
    add("index.html", page.encode(), "the web edition: the publication as one accessible web page")
    return sorted(outputs.values(), key=lambda output: (output.name != f"{FOLDER}/index.html", output.name))


def render_layout(project: Project, context: dict) -> str:
    import jinja2

    template = f"{FOLDER}/index.html.j2"
    try:
        return environment(project.root).get_template(template).render(context)
    except jinja2.TemplateSyntaxError as exc:
        problem = error(exc.filename or template, exc.lineno, f"layout error: {exc.message}", Code.LAYOUT_SYNTAX)
    except jinja2.UndefinedError as exc:
        problem = error(f"layouts/{template}", None, f"layout uses an unknown value: {exc.message}",
                        Code.LAYOUT_UNDEFINED)
    except jinja2.TemplateNotFound as exc:
        problem = error("layouts", None, f"layout file '{exc.name}' not found", Code.LAYOUT_MISSING)
    raise BuildFailed([problem])


def _first_lead(articles) -> str:
    found = re.search(r'<p class="lead"[^>]*>(.*?)</p>', articles[0].html, re.S) if articles else None
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def _megabytes(size: int, words) -> str:
    from babel.numbers import format_decimal

    if size < 100_000:
        return f"{max(1, round(size / 1000))} kB"
    return f"{format_decimal(round(size / 1_000_000, 1), format='0.0', locale=words.locale)} MB"


def _jpeg(image: Image.Image, quality: int = 80) -> bytes:
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=quality, optimize=True, progressive=True)
    return encoded.getvalue()


# ---- Photos ---------------------------------------------------------------------------------

def _cover(project: Project) -> Path | None:
    return (project.content_dir / project.config.cover.photo).resolve() if project.config.cover.photo else None


def _photo_paths(project: Project, articles) -> list[Path]:
    """The photos of the web edition: every photo of the articles, then the cover's."""
    cover = _cover(project)
    figures = [figure.path for article in articles for figure in article.figures if figure.path]
    return figures + ([cover] if cover else [])


PHOTO_VERSION = PhotoVersion(ppi=_PPI, web_quality=WEB_QUALITY)


def _photo_requests(paths, portrait: set[Path]) -> list[ImageRequest]:
    return [ImageRequest(path, path.name, None, width / 10) for path in dict.fromkeys(paths)
            for width in (PORTRAIT_WIDTHS if path in portrait else WIDTHS)]


def photo_jobs(project: Project) -> list[tuple[ImageRequest, PhotoVersion]]:
    """The photo versions the web edition will ask for, so that a build can have them made in the background
    while it lays out the pages (they are then in the cache when the web edition is made). A photo that
    cannot be read is left out: the layout reports it."""
    articles = [render_article(source, project)[0] for source in project.articles]
    paths = [path for path in dict.fromkeys(_photo_paths(project, articles)) if path.is_file()]
    return [(request, PHOTO_VERSION) for request in _photo_requests(paths, {path for path in paths if _upright(path)})]


class WebPhotos:
    """Each photo in `WIDTHS` (fewer when the original is smaller), named after its file."""

    def __init__(self, project: Project, paths: list[Path]):
        self.names: dict[Path, str] = {}
        self.given = 0
        for path in dict.fromkeys(paths):
            stem = slugify(path.stem)
            name, number = stem, 2
            while name in self.names.values():
                name, number = f"{stem}-{number}", number + 1
            self.names[path] = name
        self.portrait = {path for path in self.names if _upright(path)}
        requests = _photo_requests(self.names, self.portrait)
        version = PHOTO_VERSION
        # Usually made in the background while the print layout was laid out (`photo_jobs`), else here, in the
        # forked child while the print file is checked: no progress line of its own on the terminal.
        quiet = PHOTO_PROGRESS.set(None)
        try:
            made = prepare_photos(requests, [version], cache_folder(project.root, "images"))
        finally:
            PHOTO_PROGRESS.reset(quiet)
        self.versions: dict[Path, list[PreparedImage]] = {}
        for request in requests:
            prepared, _ = made[request, version]  # a photo that cannot be read stopped the build before
            if prepared and all(known.pixel_width != prepared.pixel_width
                                for known in self.versions.setdefault(request.path, [])):
                self.versions[request.path].append(prepared)

    def file_name(self, path: Path, prepared: PreparedImage) -> str:
        return f"photos/{self.names[path]}-{prepared.pixel_width}.jpg"

    def files(self) -> list[tuple[str, bytes]]:
        return [(self.file_name(path, prepared), prepared.output.read_bytes())
                for path, versions in self.versions.items() for prepared in versions]

    def picture(self, path: Path | None, alt: str, placement: str) -> dict | None:
        """The attributes of the photo's <img>: the middle width as `src`, every width in `srcset`; the
        first photo asked for is loaded at once, the others lazily (`loading="lazy"`)."""
        versions = self.versions.get(path) if path else None
        if not versions:
            return None
        largest = versions[-1]
        middle = versions[min(1, len(versions) - 1)]
        attributes = {
            "src": self.file_name(path, middle),
            "srcset": ", ".join(f"{self.file_name(path, version)} {version.pixel_width}w" for version in versions),
            "sizes": SIZES["portrait" if path in self.portrait and placement not in ("inline", "box") else placement],
            "width": str(largest.pixel_width),
            "height": str(largest.pixel_height),
            "alt": alt,
        }
        if self.given:
            attributes["loading"] = "lazy"
        self.given += 1
        attributes["decoding"] = "async"
        return attributes


def _upright(path: Path) -> bool:
    """Whether the photo is taller than wide, as shown (turned by its EXIF orientation); read from its header."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except (OSError, SyntaxError, ValueError):
        return False
    return (width > height) if turned else (height > width)


# ---- The articles' HTML ---------------------------------------------------------------------

def web_fragment(fragment: str, figures: tuple[Figure, ...], photos: WebPhotos, slug: str, _) -> tuple[str, list]:
    """An article's HTML, as the brochure is typeset from, rewritten for a browser; and its notes,
    each (number, HTML), to be listed after the article. Notes are numbered from 1 in each article, as
    in the brochure; their ids start with the article's `slug`."""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        for name in [name for name in element.attrib if name.startswith("data-")]:
            del element.attrib[name]
    for image, figure in zip(list(root.iter("img")), figures):
        in_box = any("box" in (ancestor.get("class") or "").split() for ancestor in image.iterancestors("aside"))
        attributes = photos.picture(figure.path, figure.alt, "box" if in_box else figure.placement)
        if attributes:
            image.attrib.clear()
            image.attrib.update(attributes)
        holder = image.getparent()
        if holder is not None and holder.tag == "figure":
            classes = (holder.get("class") or "").split()
            if figure.path in photos.portrait:
                classes.append("portrait")
            if figure.width_percent:  # a share of the text's column, as of the brochure's column
                classes.append("sized")
                holder.set("style", f"max-width: {TEXT_COLUMN_REM * figure.width_percent / 100:g}rem")
            holder.set("class", " ".join(classes))
    for address in root.iter("span"):
        _break_points_as_wbr(address)
    notes = []
    for call in list(root.iter("span")):
        if call.get("class") != "footnote":
            continue
        number = len(notes) + 1
        body = (call.text and _escape(call.text) or "") + "".join(
            lxml_html.tostring(child, encoding="unicode", method="html") for child in call)
        notes.append((number, Markup(body)))
        link = lxml_html.Element("a", {"href": f"#{slug}-fn{number}", "id": f"{slug}-fnref{number}",
                                       "class": "footnote-ref", "role": "doc-noteref"})
        superscript = lxml_html.Element("sup")
        superscript.text = str(number)
        link.append(superscript)
        link.tail = call.tail
        call.getparent().replace(call, link)
    for table in list(root.iter("table")):
        caption = table.find("caption")
        label = caption.text_content().strip() if caption is not None else _("Table")
        region = lxml_html.Element("div", {"class": "table-scroll", "role": "region", "tabindex": "0",
                                           "aria-label": label})
        table.addprevious(region)
        region.tail, table.tail = table.tail, None
        region.append(table)
    body = (_escape(root.text) if root.text else "") + "".join(
        lxml_html.tostring(child, encoding="unicode", method="html") for child in root)
    return body, notes


def _break_points_as_wbr(span) -> None:
    """An address (`content.markdown.breakable_address`) with `<wbr>` where the print HTML has zero-width
    spaces: a browser breaks the line there too, and copying the address gives it without them."""
    if "address" not in (span.get("class") or "").split() or len(span) or "\u200b" not in (span.text or ""):
        return
    first, *parts = span.text.split("\u200b")
    span.text = first
    for part in parts:
        point = lxml_html.Element("wbr")
        point.tail = part
        span.append(point)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- Colours ----------------------------------------------------------------------------------

def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(part: float) -> float:
        return part / 12.92 if part <= 0.04045 else ((part + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(part) for part in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(part * 255):02x}" for part in rgb)


def readable(colour: str, backgrounds: list[str]) -> str:
    """`colour`, darkened in steps of 5 % towards black until text in it has a contrast of 4.5:1 on every
    one of `backgrounds` (all light ones: paper, tint)."""
    rgb = _rgb(colour)
    for step in range(21):
        darker = tuple(part * (1 - step / 20) for part in rgb)
        if all(contrast(darker, _rgb(background)) >= MIN_CONTRAST for background in backgrounds):
            return _hex(darker)
    return "#000000"


def theme_colours(theme: Theme) -> dict[str, str]:
    """The theme's RGB colours, and for each one a `-text` variant readable on the paper and the tint."""
    colours = {name: colour.rgb.lower() for name, colour in theme.colours.items() if re.fullmatch(r"[a-z0-9-]+", name)}
    paper = colours.get("paper", "#ffffff")
    backgrounds = [paper, colours.get("tint", paper)]
    colours.setdefault("ink", readable("#1d1d1b", backgrounds))
    for name in [name for name in colours if name not in ("paper", "tint")]:
        colours[f"{name}-text"] = readable(colours[name], backgrounds)
    return colours


# ---- Fonts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Face:
    family: str
    """'serif' or 'sans': the role it plays in layouts/web/style.css."""
    weight: int
    style: str
    source: Path

    @property
    def name(self) -> str:
        return f"fonts/{self.family}-{self.weight}{'-italic' if self.style == 'italic' else ''}.woff"

    def woff(self, page: str) -> bytes:
        """The face with the characters the page uses (and all of ASCII), as WOFF."""
        return woff_subset(self.source.read_bytes(), set(map(ord, page)) | set(range(0x20, 0x7F)))


def _font_rules(sheet: Path) -> tuple[list[dict], dict[str, str]]:
    """The @font-face rules of a stylesheet (family, weight, style, file) and its --serif and --sans."""
    rules, roles = [], {}
    try:
        parsed = tinycss2.parse_stylesheet(sheet.read_text(encoding="utf-8"), skip_comments=True,
                                           skip_whitespace=True)
    except (OSError, UnicodeDecodeError):
        return [], {}
    for rule in parsed:
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face" and rule.content:
            face: dict = {}
            for declaration in tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                               skip_whitespace=True):
                if declaration.type != "declaration":
                    continue
                values = [token for token in declaration.value if token.type not in ("whitespace", "comment")]
                if declaration.lower_name == "font-family" and values:
                    face["family"] = "".join(str(token.value) for token in values if token.type in ("string", "ident"))
                elif declaration.lower_name == "font-weight" and values:
                    value = values[0]
                    face["weight"] = int(value.value) if value.type == "number" else (
                        700 if str(value.value).lower() == "bold" else 400)
                elif declaration.lower_name == "font-style" and values:
                    face["style"] = "italic" if str(values[0].value).lower() in ("italic", "oblique") else "normal"
                elif declaration.lower_name == "src":
                    for token in values:
                        if token.type == "url" or (token.type == "function" and token.lower_name == "url"):
                            address = token.value if token.type == "url" else "".join(
                                str(part.value) for part in token.arguments if part.type == "string")
                            face.setdefault("file", (sheet.parent / address).resolve())
            if "family" in face and "file" in face:
                rules.append({"weight": 400, "style": "normal", **face})
        elif rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == ":root":
            for declaration in tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                               skip_whitespace=True):
                if declaration.type == "declaration" and declaration.name in ("--serif", "--sans"):
                    roles[declaration.name[2:]] = "".join(
                        str(token.value) for token in declaration.value if token.type in ("string", "ident"))
    return rules, roles


def theme_faces(theme: Theme, project: Project) -> list[Face]:
    """For each face the web page sets text in, the theme's nearest one: same style if it has it,
    then the closest weight. Only font files inside the project or the tool are used."""
    rules, roles = [], {}
    for sheet in theme.stylesheets:
        found, named = _font_rules(sheet)
        rules += found
        roles.update(named)
    allowed = [project.root.resolve(), BUILTIN_ROOT]
    rules = [rule for rule in rules if is_inside(rule["file"], allowed) and rule["file"].is_file()
             and rule["file"].suffix.lower() in (".ttf", ".otf", ".woff", ".woff2")]
    families = list(dict.fromkeys(rule["family"] for rule in rules))
    faces: dict[str, Face] = {}
    for role, weight, style in FACES:
        family = roles.get(role) or (families[0] if role == "serif" and families else families[-1] if families
                                     else None)
        candidates = [rule for rule in rules if rule["family"] == family]
        if not candidates:
            continue
        same_style = [rule for rule in candidates if rule["style"] == style]
        if style == "italic" and not same_style:
            continue  # the browser slants the upright face rather than showing a face that is not there
        best = min(same_style or candidates, key=lambda rule: abs(rule["weight"] - weight))
        face = Face(role, weight, style, best["file"])
        try:
            TTFont(face.source, lazy=True).close()
        except (TTLibError, OSError):
            continue
        faces[face.name] = face
    return list(faces.values())


def theme_css(theme: Theme, faces: list[Face]) -> str:
    """The theme's part of the page's style: its colours and its fonts."""
    lines = [":root {"]
    lines += [f"  --{name}: {value};" for name, value in theme_colours(theme).items()]
    lines.append("}")
    for face in faces:
        family = css_string(f"Web {face.family}")
        lines.append(f'@font-face {{ font-family: "{family}"; src: url("{face.name}") format("woff"); '
                     f"font-weight: {face.weight}; font-style: {face.style}; font-display: swap; }}")
    return "\n".join(lines)


WEB = Edition(FOLDER, f"{FOLDER}/index.html",
              "the web edition: one accessible, responsive page with its photos, fonts and the screen PDF",
              finish_web)
