"""The web edition (issue 18): dist/web/ holds the whole publication as one accessible, responsive page.

Read as a reader's browser reads it: Debian's Chromium (through Playwright) loads dist/web/ from a
local web server, axe-core checks it against WCAG 2.0/2.1 A and AA, every request it makes is
recorded, and it is laid out 375 px wide. The HTML itself is read with lxml: the headings, pull
quotes and captions of the Markdown sources are on the page, the photos' srcset names files of
those widths, the notes link both ways. The sample and the two test publications (tests/publications)
are built once per session with the default targets (conftest.py)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest
from conftest import REPO
from lxml import html as lxml_html
from PIL import Image

AXE = REPO / ".cache" / "tools" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAX_BYTES = 3_000_000
PUBLICATIONS = ["sample_build", "annual_report", "leaflet"]


def web_dir(built) -> Path:
    result = getattr(built, "result", built)  # a BuildResult (the sample) or conftest.Built
    return result.project.dist_dir / "web"


def project_of(built):
    return getattr(built, "result", built).project


@pytest.fixture(params=PUBLICATIONS)
def built(request):
    return request.getfixturevalue(request.param)


def page_tree(built):
    return lxml_html.fromstring((web_dir(built) / "index.html").read_bytes())


def words(text: str) -> str:
    return " ".join(text.split())


# ---- In a browser ------------------------------------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(built):
    """dist/web/ alone on a local web server: its address."""
    handler = functools.partial(QuietHandler, directory=str(web_dir(built)))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def open_page(browser, address: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests, failures = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failures.append(f"{request.url}: {request.failure}"))
    page.on("response", lambda response: failures.append(f"{response.url}: HTTP {response.status}")
            if response.status >= 400 else None)
    page.goto(address, wait_until="networkidle")
    return page, requests, failures


def test_axe_finds_no_wcag_2_1_aa_violation(browser, served):
    assert AXE.is_file(), "axe-core is missing: ./setup.sh installs it into .cache/tools"
    page, _, _ = open_page(browser, served)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    page.close()
    found = [f"{violation['id']} ({violation['impact']}): {violation['help']}\n" + "\n".join(
        f"    {node['target']}: {node.get('failureSummary', '')}" for node in violation["nodes"][:5])
        for violation in results["violations"]]
    assert results["passes"], "axe checked nothing"
    assert not found, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(found)


def test_the_page_loads_everything_from_dist_web_and_nothing_fails(browser, served):
    page, requests, failures = open_page(browser, served)
    # The lazy photos too: ask for every one, as scrolling to it would.
    page.evaluate("""() => Promise.all([...document.images].map(image => {
        image.loading = 'eager'; return image.decode().catch(() => null); }))""")
    page.wait_for_load_state("networkidle")
    broken = page.evaluate("() => [...document.images].filter(i => !i.complete || !i.naturalWidth).map(i => i.src)")
    fonts = page.evaluate("() => document.fonts.ready.then(set => [...set].map(f => [f.family, f.status]))")
    page.close()
    outside = [address for address in requests if not address.startswith(served)]
    assert not outside, f"the page loads from outside dist/web/: {outside}"
    assert not failures, f"requests that failed: {failures}"
    assert not broken, f"photos that did not load: {broken}"
    assert any(address.endswith(".woff") for address in requests), "no font of the theme was loaded"
    assert all(status == "loaded" for _, status in fonts if status != "unloaded"), fonts
    assert sum(".jpg" in address for address in requests) >= 2


def test_nothing_scrolls_sideways_at_375_px(browser, served):
    page, _, _ = open_page(browser, served, width=375)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    wider = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 375.5 && !e.closest('.table-scroll'))
        .slice(0, 5).map(e => e.outerHTML.slice(0, 120))""")
    page.close()
    assert scroll_width <= 375, f"the page is {scroll_width} px wide at 375 px: {wider}"


def test_a_wide_table_scrolls_in_a_region_the_keyboard_reaches(browser, annual_report):
    tree = page_tree(annual_report)
    regions = tree.xpath("//div[contains(@class, 'table-scroll')]")
    assert regions and all(region.find("table") is not None for region in regions)
    assert all(region.get("tabindex") == "0" and region.get("role") == "region" and region.get("aria-label")
               for region in regions)


# ---- The HTML ----------------------------------------------------------------------------------

def source_texts(project) -> dict[str, list[str]]:
    """The headings, pull quotes and captions written in the Markdown sources, and the titles."""
    found: dict[str, list[str]] = {"heading": [project.config.title], "pull quote": [], "caption": []}
    for article in project.articles:
        found["heading"].append(article.front.title)
        in_quote = False
        for line in article.body.splitlines():
            stripped = line.strip()
            if re.match(r":{3,}\s*\{?\.?pullquote", stripped):
                in_quote = True
                continue
            if in_quote and stripped.startswith(":::"):
                in_quote = False
                continue
            if in_quote and stripped:
                found["pull quote"].append(stripped)
            heading = re.match(r"#{2,6}\s+(.*?)\s*(\{[^}]*\})?$", stripped)
            if heading:
                found["heading"].append(heading.group(1))
            caption = re.match(r"!\[([^\]]+)\]\(", stripped)
            if caption:
                found["caption"].append(caption.group(1))
    return {kind: [re.sub(r"[*_`]|\[\^[^\]]*\]", "", text) for text in texts] for kind, texts in found.items()}


def test_every_heading_pull_quote_and_caption_of_the_sources_is_on_the_page(built):
    tree = page_tree(built)
    project = project_of(built)
    headings = [words(element.text_content()) for element in tree.xpath("//h1|//h2|//h3|//h4|//h5|//h6")]
    quotes = words(" ".join(element.text_content() for element in tree.xpath("//blockquote")))
    captions = words(" ".join(element.text_content() for element in tree.xpath("//figure/figcaption")))
    texts = source_texts(project)
    assert len(texts["heading"]) > len(project.articles) + 1 and texts["caption"]
    missing = [text for text in texts["heading"] if words(text) not in headings]
    missing += [text for text in texts["pull quote"] if words(text) not in quotes]
    missing += [text for text in texts["caption"] if words(text) not in captions]
    assert not missing, f"not on the page: {missing}"


def test_the_page_is_a_document_with_landmarks_and_the_publications_heading_levels(built):
    tree = page_tree(built)
    project = project_of(built)
    assert tree.get("lang") == project.config.language
    assert words(tree.findtext(".//title")) == project.config.title
    body = tree.find("body")
    assert [element.tag for element in body if element.tag in ("header", "main", "footer")] == \
        ["header", "main", "footer"]
    assert body[0].tag == "a" and body[0].get("href") == "#main" and tree.get_element_by_id("main").tag == "main"
    [title] = tree.xpath("//h1")
    assert words(title.text_content()) == project.config.title and title.xpath("ancestor::header")
    articles = tree.xpath("//main/article")
    assert [words(article.xpath("./header/h2")[0].text_content()) for article in articles] == \
        [article.front.title for article in project.articles]
    for article in articles:  # no level skipped inside an article: h2, then h3 ...
        levels = [int(element.tag[1]) for element in article.iter("h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 2 and all(after <= before + 1 for before, after in zip(levels, levels[1:])), levels
    # The colofon is the page's footer, with its labels.
    footer = body.find("footer")
    assert footer.find(".//h2") is not None and len(footer.findall(".//dt")) >= 4
    # Pull quotes are quotes, with their attribution outside the quoted words; the box is an aside.
    for quote in tree.xpath("//*[contains(@class, 'pullquote')]"):
        assert quote.find("blockquote") is not None
        attribution = quote.find("footer")
        assert attribution is None or attribution.getparent() is quote
    assert all(box.tag == "aside" for box in tree.xpath("//*[contains(@class, 'box')]"))


def test_photos_are_responsive_images_made_in_each_width(built):
    folder = web_dir(built)
    images = page_tree(built).xpath("//img[@srcset]")
    assert len(images) >= 2
    for index, image in enumerate(images):
        candidates = [candidate.split() for candidate in image.get("srcset").split(",")]
        assert len(candidates) >= 2, image.get("srcset")
        widths = []
        for name, descriptor in candidates:
            with Image.open(folder / name) as photo:
                assert photo.format == "JPEG" and photo.mode == "RGB", name
                assert f"{photo.width}w" == descriptor, f"{name} is {photo.width} px wide, not {descriptor}"
                widths.append(photo.width)
                ratio = photo.height / photo.width
        assert widths == sorted(widths) and widths[0] <= 480  # the largest is at most the original (never enlarged)
        assert image.get("width") == str(widths[-1]) and abs(int(image.get("height")) / widths[-1] - ratio) < 0.01
        assert image.get("sizes") and image.get("alt") is not None and (folder / image.get("src")).is_file()
        # The first photo (the masthead's) is wanted at once; the others when they come into view.
        assert image.get("loading") == (None if index == 0 else "lazy"), (index, image.get("src"))


def test_the_samples_large_photos_come_in_three_widths(sample_build):
    for image in page_tree(sample_build).xpath("//img[@srcset]"):
        widths = [int(candidate.split()[1][:-1]) for candidate in image.get("srcset").split(",")]
        assert widths in ([480, 960, 1600], [480, 720, 1080]), (image.get("src"), widths)  # landscape, upright


def test_notes_link_to_their_text_and_back(sample_build):
    tree = page_tree(sample_build)
    calls = tree.xpath("//a[@role='doc-noteref']")
    assert calls, "the sample has a footnote"
    for call in calls:
        note = tree.get_element_by_id(call.get("href")[1:])
        assert note.tag == "li" and note.xpath("ancestor::section[@role='doc-endnotes']")
        [back] = note.xpath(".//a[@role='doc-backlink']")
        assert back.get("href") == f"#{call.get('id')}"
    assert "Leven Lang Leren" in words(tree.get_element_by_id(calls[0].get("href")[1:]).text_content())


def test_the_page_offers_the_screen_pdf_and_shares_the_cover_with_relative_addresses(built):
    folder = web_dir(built)
    project = project_of(built)
    tree = page_tree(built)
    downloads = {link.get("href") for link in tree.xpath("//a[@download]")}
    assert downloads == {f"{project.slug}-screen.pdf"}
    assert (folder / downloads.pop()).read_bytes() == (project.dist_dir / f"{project.slug}-screen.pdf").read_bytes()
    meta = {element.get("property") or element.get("name"): element.get("content") for element in tree.iter("meta")}
    assert meta["description"] and meta["og:title"] == project.config.title and meta["og:description"]
    assert not re.match(r"\w+:", meta["og:image"]) and Image.open(folder / meta["og:image"]).format == "JPEG"
    stylesheet = (folder / "style.css").read_text(encoding="utf-8")
    assert "@media print" in stylesheet
    inline = tree.findtext(".//style")
    fonts = re.findall(r'url\("([^"]+)"\)', inline + stylesheet)
    assert fonts and all((folder / name).read_bytes()[:4] == b"wOFF" for name in fonts), fonts
    # The theme's RGB colours, not its CMYK ones.
    theme = getattr(built, "result", built).renditions[0].theme
    assert "device-cmyk" not in inline + stylesheet
    assert all(f"--{name}: {colour.rgb.lower()};" in inline for name, colour in theme.colours.items())


def test_the_sample_weighs_under_3_mb_and_every_file_is_listed_in_the_manifest(sample_build):
    folder = web_dir(sample_build)
    files = [path for path in folder.rglob("*") if path.is_file()]
    total = sum(path.stat().st_size for path in files)
    assert total < MAX_BYTES, f"dist/web/ weighs {total / 1e6:.2f} MB"
    manifest = (sample_build.project.dist_dir / "MANIFEST.txt").read_text(encoding="utf-8")
    assert all(f"web/{path.relative_to(folder).as_posix()}\n" in manifest for path in files)


def test_two_builds_give_the_same_bytes_for_every_file(sample_build, sample_rebuild):
    first, again = web_dir(sample_build), web_dir(sample_rebuild)
    names = sorted(path.relative_to(first).as_posix() for path in first.rglob("*") if path.is_file())
    assert names == sorted(path.relative_to(again).as_posix() for path in again.rglob("*") if path.is_file())
    assert len(names) > 10
    for name in names:
        assert (first / name).read_bytes() == (again / name).read_bytes(), f"web/{name} differs between two builds"


def test_a_photo_taken_out_leaves_no_file_behind(project):
    from publication.commands.build import BuildOptions, build

    build(project.root, BuildOptions(targets=("web",)))
    photos = project.root / "dist" / "web" / "photos"
    assert any(path.name.startswith("foto-") for path in photos.iterdir())
    project.edit("01-artikel.md", '![Een onderschrift](photos/foto.jpg){fig-alt="Beschrijving" credit="Fotograaf"}',
                 "")
    build(project.root, BuildOptions(targets=("web",)))
    assert not any(path.name.startswith("foto-") for path in photos.iterdir())
    assert any(path.name.startswith("cover-") for path in photos.iterdir())



ADDRESS = "https://www.voorbeeld.example.org/verslagen/2026/groene-daken"
EMAIL = "secretariaat@voorbeeld.example.org"


def test_content_is_data_on_the_web_page_too(project):
    from publication.commands.build import BuildOptions, build

    project.edit("01-artikel.md", "Tweede alinea.",
                 "Tweede alinea met <script>alert(1)</script>, {{ 7 * 7 }} en <img src=x onerror=alert(1)>."
                 f" Zie {ADDRESS} of schrijf naar {EMAIL}.")
    result = build(project.root, BuildOptions(targets=("web",)))
    tree = page_tree(result)
    assert not tree.xpath("//script") and not tree.xpath("//*[@onerror]")
    assert "met <script>alert(1)</script>, {{ 7 * 7 }} en <img src=x onerror=alert(1)>." in tree.text_content()
    # Addresses break at '/', '.' and '@' by <wbr>, not by zero-width spaces a reader would copy.
    addresses = tree.xpath("//span[contains(concat(' ', @class, ' '), ' address ')]")
    assert [address.text_content() for address in addresses] == [ADDRESS, EMAIL]
    assert all(len(address.xpath("wbr")) >= 3 for address in addresses)
    assert "\u200b" not in (web_dir(result) / "index.html").read_text(encoding="utf-8")


def test_a_folder_of_outputs_keeps_only_what_was_written_and_a_servers_hidden_files(tmp_path):
    from publication.core.dist import Output, write_outputs

    dist = tmp_path / "dist"
    write_outputs(dist, [Output("web/index.html", b"1", ""), Output("web/photos/a-480.jpg", b"a", ""),
                         Output("brochure.pdf", b"%PDF", "")])
    (dist / "web" / ".htaccess").write_text("Options -Indexes\n")
    (dist / "web" / "photos" / ".a-480.jpg.k1ll3d.tmp").write_bytes(b"half")
    (dist / "notes.txt").write_text("mine")
    write_outputs(dist, [Output("web/index.html", b"2", "")])
    assert sorted(path.relative_to(dist).as_posix() for path in dist.rglob("*") if path.is_file()) == \
        [".lock", "brochure.pdf", "notes.txt", "web/.htaccess", "web/index.html"]
    assert not (dist / "web" / "photos").exists()
