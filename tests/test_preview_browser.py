"""The live preview in a real browser: Debian's Chromium, driven by Playwright.

Each test runs the preview on a small project, saves files the way an editor does, and
watches the open page follow without being reloaded.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from preview_support import preflight_finding, running_preview, with_preflight

# Bounds that keep a broken test from hanging on a busy machine; not a measure of speed.
WAIT_MS = 120_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(error))
    yield page
    context.close()
    assert script_errors == [], "the preview page raised script errors"


def open_preview(page, server, epoch: int = 1) -> None:
    page.goto(server.url)
    page.wait_for_selector(f'body[data-epoch="{epoch}"]')


def images_loaded(page) -> bool:
    return page.evaluate("[...document.querySelectorAll('.spread img')].every(i => i.complete && i.naturalWidth > 0)")


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


def test_a_saved_edit_appears_without_a_reload(project, page):
    with running_preview(project.root) as (server, _):
        open_preview(page, server)
        page.evaluate("window.sameDocument = true")
        article = page.locator('.spread .page[data-number="2"]')
        before = article.locator("img").get_attribute("src")
        expect(article.locator(".page-text")).not_to_contain_text("Zeppelinhaven")

        project.edit("01-artikel.md", "Eerste alinea van het artikel.", "Eerste alinea over de Zeppelinhaven.")

        page.wait_for_selector('body[data-epoch="2"]')
        assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
        expect(article.locator(".page-text")).to_contain_text("Eerste alinea over de Zeppelinhaven.")
        assert article.locator("img").get_attribute("src") != before
        assert images_loaded(page)
        expect(article).to_have_class(re.compile(r"\bpage--changed\b"))
        expect(page.locator('.spread .page[data-number="1"]')).not_to_have_class(re.compile(r"\bpage--changed\b"))
        expect(page.locator("#status")).to_contain_text("Bijgewerkt")


def test_an_error_shows_a_banner_and_the_last_pages_stay_until_it_is_fixed(project, page):
    with running_preview(project.root) as (server, _):
        open_preview(page, server)
        banner = page.locator("#banner")
        expect(banner).to_be_hidden()
        sources = page.locator(".spread img").evaluate_all("images => images.map(i => i.src)")

        project.edit("01-artikel.md", "title: Een artikel", "title: [Een artikel")

        expect(banner).to_be_visible()
        expect(banner.locator("code")).to_have_text(re.compile(r"^content/01-artikel\.md:\d+$"))
        expect(banner).to_contain_text("never closed")
        expect(page.locator("#status")).to_contain_text("Fout in de laatste wijziging")
        assert page.locator(".spread img").evaluate_all("images => images.map(i => i.src)") == sources
        assert images_loaded(page)
        assert page.get_attribute("body", "data-epoch") == "1"

        project.edit("01-artikel.md", "title: [Een artikel", "title: Een artikel")

        page.wait_for_selector('body[data-epoch="2"]')
        expect(banner).to_be_hidden()
        expect(page.locator("#status")).to_contain_text("Bijgewerkt")


def test_spreads_show_the_cover_alone_then_pairs_with_guides_from_the_geometry(project, page):
    with running_preview(project.root) as (server, previewer):
        geometry = previewer.snapshot.edition.geometry
        open_preview(page, server)
        spreads = page.locator(".spread").evaluate_all(
            "spreads => spreads.map(s => [...s.querySelectorAll('.page')].map(p => Number(p.dataset.number)))")
        assert spreads == [[1], [2, 3], [4]]
        expect(page.locator(".thumb")).to_have_count(3)

        sheets = {n: box(page.locator(f'.spread .page[data-number="{n}"] .sheet')) for n in range(1, 5)}
        assert sheets[2]["x"] + sheets[2]["width"] == pytest.approx(sheets[3]["x"], abs=1), "pages meet at the spine"
        assert sheets[2]["y"] == pytest.approx(sheets[3]["y"], abs=1)
        assert sheets[1]["x"] == pytest.approx(sheets[3]["x"], abs=1), "the cover is a right-hand page"
        assert sheets[4]["x"] == pytest.approx(sheets[2]["x"], abs=1), "the back cover is a left-hand page"
        mm = sheets[2]["width"] / geometry.page_width
        assert sheets[2]["height"] / mm == pytest.approx(geometry.page_height, abs=1)

        guide = page.locator('.spread .page[data-number="2"] .guide-margins')
        expect(guide).to_be_hidden()
        page.get_by_text("Marges", exact=True).click()
        expect(guide).to_be_visible()
        for number, (left, right) in {2: (geometry.margin_outer, geometry.margin_inner),
                                      3: (geometry.margin_inner, geometry.margin_outer)}.items():
            margins = box(page.locator(f'.spread .page[data-number="{number}"] .guide-margins'))
            assert (margins["x"] - sheets[number]["x"]) / mm == pytest.approx(left, abs=0.5)
            assert (sheets[number]["x"] + sheets[number]["width"] - margins["x"] - margins["width"]) / mm == \
                pytest.approx(right, abs=0.5)
            assert (margins["y"] - sheets[number]["y"]) / mm == pytest.approx(geometry.margin_top, abs=0.5)

        page.get_by_text("Veilige zone", exact=True).click()
        safety = box(page.locator('.spread .page[data-number="2"] .guide-safety'))
        zone = previewer.snapshot.edition.safety_zone
        offset = ((safety["x"] - sheets[2]["x"]) / mm, (safety["y"] - sheets[2]["y"]) / mm)
        assert offset == pytest.approx((zone, zone), abs=0.3)
        assert safety["width"] / mm == pytest.approx(geometry.page_width - 2 * zone, abs=0.5)

        page.get_by_text("Snijlijn", exact=True).click()
        page.get_by_text("Afloop", exact=True).click()
        trim = box(page.locator('.spread .page[data-number="3"] .guide-trim'))
        bleed = box(page.locator('.spread .page[data-number="3"] .guide-bleed'))
        sheet = box(page.locator('.spread .page[data-number="3"] .sheet'))
        assert (trim["width"], trim["height"]) == pytest.approx((sheet["width"], sheet["height"]), abs=1)
        assert (bleed["width"] - trim["width"]) / 2 / mm == pytest.approx(geometry.bleed, abs=0.3)
        assert trim["x"] - bleed["x"] == pytest.approx(geometry.bleed * mm, abs=1)

        page.locator("#search").fill("tweede alinea")
        matches = page.locator(".spread .page--match").evaluate_all("pages => pages.map(p => p.dataset.number)")
        assert matches == ["2"]
        page.locator("#search").fill("")

        page.locator('.spread .page[data-number="3"]').click()
        zoom = page.locator("#zoom")
        expect(zoom).to_be_visible()
        expect(page.locator("#zoom-title")).to_have_text("Pagina 3 van 4")
        zoomed = page.locator("#zoom-stage img")
        expect(zoomed).to_have_attribute("src", re.compile(r"@zoom\.png$"))
        page.wait_for_function("() => document.querySelector('#zoom-stage img').naturalWidth > 0")
        page.keyboard.press("ArrowRight")
        expect(page.locator("#zoom-title")).to_have_text("Pagina 4 van 4")
        page.keyboard.press("Escape")
        expect(zoom).to_be_hidden()


def test_preflight_findings_are_shown_beside_their_pages(project, page):
    def preflight(project, rendition, pdf):
        yield preflight_finding(
            "warning",
            "image-resolution",
            "photo 'foto.jpg' is 120 ppi at its printed size",
            3,
            "content/01-artikel.md:7",
            (20.0, 40.0, 100.0, 50.0),
        )

    with running_preview(project.root, pipeline=with_preflight(preflight)) as (server, previewer):
        open_preview(page, server)
        spread = page.locator(".spread", has=page.locator('.page[data-number="3"]'))
        expect(spread.locator(".note")).to_have_count(1)
        expect(spread.locator(".note")).to_contain_text("pagina 3")
        expect(spread.locator(".note")).to_contain_text("120 ppi at its printed size")
        expect(spread.locator(".note-where")).to_have_text("content/01-artikel.md:7")
        expect(spread.locator('.page[data-number="3"] .badge')).to_have_text("1")
        expect(page.locator('.thumb .page[data-number="3"]')).to_have_class(re.compile(r"\bpage--warning\b"))
        expect(page.locator(".spread", has=page.locator('.page[data-number="1"]')).locator(".notes")).to_have_text(
            "Geen bevindingen"
        )
        sheet = box(spread.locator('.page[data-number="3"] .sheet'))
        area = box(spread.locator('.page[data-number="3"] .area'))
        mm = sheet["width"] / previewer.snapshot.edition.geometry.page_width
        assert ((area["x"] - sheet["x"]) / mm, (area["y"] - sheet["y"]) / mm) == pytest.approx((20, 40), abs=0.5)
        assert (area["width"] / mm, area["height"] / mm) == pytest.approx((100, 50), abs=0.5)


READ_FROM_PAGE = """async (preview) => {
  const events = await new Promise((resolve) => {
    const source = new EventSource(preview + "events");
    source.addEventListener("state", () => { source.close(); resolve("read"); });
    source.onerror = () => { source.close(); resolve("blocked"); };
  });
  const state = await fetch(preview + "state.json").then((r) => r.json()).then(() => "read", () => "blocked");
  return {events, state};
}"""


class _OtherSite(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>another site</title><p>Another site on this computer.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        pass


def test_another_origin_in_the_browser_cannot_read_the_preview(project, page):
    other = ThreadingHTTPServer(("127.0.0.1", 0), _OtherSite)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        with running_preview(project.root) as (server, _):
            open_preview(page, server)
            assert page.evaluate(READ_FROM_PAGE, server.url) == {"events": "read", "state": "read"}

            page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
            failed, console = [], []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("console", lambda message: console.append(message.text))
            assert page.evaluate(READ_FROM_PAGE, server.url) == {"events": "blocked", "state": "blocked"}
            # The requests did go out; the browser kept the answers from the other site.
            assert {f"{server.url}events", f"{server.url}state.json"} <= set(failed)
            assert any("No 'Access-Control-Allow-Origin' header" in text for text in console)
    finally:
        other.shutdown()
        other.server_close()
