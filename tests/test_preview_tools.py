"""The preview page's tools in a real browser (issue #16): "Checking…" while the preflight runs, each
guide on its own, zoom and pan of the large page, going to a page, and search marking the words."""

from __future__ import annotations

import io
import threading

import pytest
from conftest import ProjectFactory
from PIL import Image, ImageChops
from playwright.sync_api import expect
from preview_support import running_preview, with_preflight
from test_preview_browser import box, open_preview, page  # noqa: F401 - fixtures

from publication.core.units import PT_PER_MM
from publication.preview.model import QUICK, Previewer
from publication.preview.server import PreviewServer


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    factory = ProjectFactory(tmp_path_factory.mktemp("tools") / "project")
    with running_preview(factory.root, pipeline=QUICK) as (server, previewer):
        yield server, previewer


def test_the_findings_panel_says_checking_while_the_preflight_runs(tmp_path, page):  # noqa: F811
    gate = threading.Event()

    def preflight(project, rendition, pdf):
        gate.wait(120)
        return []
    previewer = Previewer(ProjectFactory(tmp_path / "project").root, pipeline=with_preflight(preflight))
    server = PreviewServer(previewer, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previewer.start()
    try:
        previewer.wait_until(lambda s: s.edition is not None and s.edition.preflight_pending, 120)
        open_preview(page, server)
        notes = page.locator(".spread .notes")
        expect(notes).to_have_count(3)
        for index in range(3):
            expect(notes.nth(index)).to_have_text("Bezig met controleren…")
        page.locator('.spread .page[data-number="2"]').click()
        expect(page.locator("#zoom-notes .notes-pending")).to_have_count(1)
        expect(page.locator("#zoom-notes")).not_to_contain_text("Geen bevindingen")
        gate.set()
        expect(page.locator("#zoom-notes .notes-clear")).to_have_text("Geen bevindingen op deze pagina")
        expect(page.locator(".spread .notes").first).to_have_text("Geen bevindingen")
        expect(page.locator(".notes-pending")).to_have_count(0)
    finally:
        gate.set()
        previewer.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _picture_of_page(page, number: int) -> Image.Image:  # noqa: F811
    sheet = box(page.locator(f'.spread .page[data-number="{number}"] .sheet'))
    clip = {"x": sheet["x"] - 12, "y": sheet["y"] - 12, "width": sheet["width"] + 24, "height": sheet["height"] + 24}
    return Image.open(io.BytesIO(page.screenshot(clip=clip, animations="disabled"))).convert("RGB")


@pytest.mark.parametrize("guide", ["bleed", "trim", "safety", "margins"])
def test_each_guide_shows_on_its_own(quick, page, guide):  # noqa: F811
    server, previewer = quick
    open_preview(page, server)
    page.locator('.spread .page[data-number="2"] .sheet').scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('.spread img')].every(i => i.complete)")
    for other in ("bleed", "trim", "safety", "margins"):
        assert not page.locator(f"#toggle-{other}").is_checked()
    before = _picture_of_page(page, 2)
    page.locator(f".chip--{guide}").click()
    expect(page.locator("body")).to_have_class(f"show-{guide}")
    after = _picture_of_page(page, 2)
    if before.size == after.size:
        changed = ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v > 24 else 0)
        assert changed.histogram()[255] > 200, f"the {guide} guide draws nothing on its own"


def test_the_large_page_zooms_pans_and_goes_to_a_page(quick, page):  # noqa: F811
    server, previewer = quick
    open_preview(page, server)
    page.locator('.spread .page[data-number="2"]').click()
    sheet = page.locator("#zoom-stage .sheet")
    fitted = box(sheet)
    expect(page.locator("#zoom-fit")).to_have_text("100%")
    for _ in range(3):
        page.locator("#zoom-in").click()
    expect(page.locator("#zoom-fit")).to_have_text("300%")
    page.wait_for_function(f"document.querySelector('#zoom-stage .sheet').getBoundingClientRect().width > "
                           f"{fitted['width'] * 2.9}")
    assert box(sheet)["width"] == pytest.approx(3 * fitted["width"], rel=0.02)

    stage = page.locator("#zoom-stage")
    scrolled = stage.evaluate("s => [s.scrollLeft, s.scrollTop]")
    middle = box(stage)
    x, y = middle["x"] + middle["width"] / 2, middle["y"] + middle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 90, steps=6)
    page.mouse.up()
    panned = stage.evaluate("s => [s.scrollLeft, s.scrollTop]")
    assert scrolled[0] - panned[0] == pytest.approx(120, abs=3) and scrolled[1] - panned[1] == pytest.approx(90, abs=3)

    page.locator("#zoom-fit").click()
    expect(page.locator("#zoom-fit")).to_have_text("100%")
    page.locator("#zoom-goto").fill("3")
    page.locator("#zoom-goto").press("Enter")
    expect(page.locator("#zoom-title")).to_have_text("Pagina 3 van 4")
    digest = previewer.snapshot.edition.pages[2].digest
    expect(page.locator("#zoom-stage img")).to_have_attribute("src", f"/pages/{digest}@zoom.png")
    page.keyboard.press("Escape")

    page.locator("#goto").fill("4")
    page.locator("#goto").press("Enter")
    back = page.locator('.spread .page[data-number="4"] .sheet')
    page.wait_for_function("""() => { const r = document.querySelector('.spread .page[data-number="4"] .sheet')
                                    .getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }""")
    assert box(back)["y"] >= 0


def _line_mm(previewer, number: int, text: str) -> tuple[float, float, float, float]:
    """left, top, right, bottom in mm from the trimmed page's top left, of the printed line with `text`."""
    edition = previewer.snapshot.edition
    [found] = [line for line in edition.line_map["pages"][number - 1]["lines"] if text in line["text"]]
    height = edition.geometry.page_height
    return (found["left"] / PT_PER_MM, height - found["top"] / PT_PER_MM, found["right"] / PT_PER_MM,
            height - found["bottom"] / PT_PER_MM)


def _in_mm(page, hit, number: int, width_mm: float) -> tuple[float, float, float, float]:  # noqa: F811
    """The mark's box in mm from the top left of its page, both measured at once (the view may be scrolling)."""
    return tuple(hit.evaluate("""(mark, [number, width]) => {
        const sheet = document.querySelector(`.spread .page[data-number="${number}"] .sheet`).getBoundingClientRect();
        const found = mark.getBoundingClientRect(), mm = sheet.width / width;
        return [(found.left - sheet.left) / mm, (found.top - sheet.top) / mm,
                (found.right - sheet.left) / mm, (found.bottom - sheet.top) / mm];
    }""", [number, width_mm]))


def test_search_marks_the_words_and_steps_through_the_matches(quick, page):  # noqa: F811
    server, previewer = quick
    width = previewer.snapshot.edition.geometry.page_width
    open_preview(page, server)
    page.locator("#search").fill("alinea")
    hits = page.locator('.spread .page[data-number="2"] .hit')
    expect(hits).to_have_count(2)
    expect(page.locator("#search-count")).to_have_text("1 van 2")
    first, second = _line_mm(previewer, 2, "Eerste alinea"), _line_mm(previewer, 2, "Tweede alinea")
    current = _in_mm(page, page.locator(".spread .hit--current"), 2, width)
    # The mark covers one word of its line: inside the line, and much narrower than it.
    assert first[1] - 1 <= current[1] and current[3] <= first[3] + 1
    assert first[0] - 1 <= current[0] and current[2] <= first[2] + 1
    assert current[2] - current[0] < (first[2] - first[0]) / 2

    page.locator("#search").press("Enter")
    expect(page.locator("#search-count")).to_have_text("2 van 2")
    current = _in_mm(page, page.locator(".spread .hit--current"), 2, width)
    assert second[1] - 1 <= current[1] and current[3] <= second[3] + 1
    page.locator("#search-next").click()
    expect(page.locator("#search-count")).to_have_text("1 van 2")
    page.locator("#search").press("Shift+Enter")
    expect(page.locator("#search-count")).to_have_text("2 van 2")

    page.locator("#search").fill("tweede alinea")
    expect(page.locator("#search-count")).to_have_text("1 van 1")
    expect(page.locator(".spread .hit")).to_have_count(2)  # one match, two words marked
    page.locator("#search").fill("no such words anywhere")
    expect(page.locator("#search-count")).to_have_text("niets gevonden")
    expect(page.locator(".hit")).to_have_count(0)


# --- the interface in the publication's language ---------------------------------------------

@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_catalog_translates_every_word_of_the_preview(language):
    from babel.messages.pofile import read_po

    from publication.core.builtin import BUILTIN_LOCALE
    from publication.preview.server import interface_words

    words = interface_words()
    # A scan that found nothing would make this pass on any catalog.
    assert {"Checking…", "+ Comment", "Page {number} of {total}", "Bleed", "Find text…", "Go to page"} <= set(words)
    with (BUILTIN_LOCALE / f"{language}.po").open("rb") as handle:
        translated = {message.id for message in read_po(handle) if message.id and message.string}
    assert [word for word in words if word not in translated] == [], f"{language}.po lacks these"


def test_the_interface_follows_the_publications_language(tmp_path, page):  # noqa: F811
    factory = ProjectFactory(tmp_path / "project")
    with running_preview(factory.root, pipeline=QUICK) as (server, previewer):
        open_preview(page, server)
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        expect(page.locator("#status")).to_contain_text("Bijgewerkt · 4 pagina's")
        expect(page.locator(".chip--bleed span")).to_have_text("Afloop")
        expect(page.locator("#search")).to_have_attribute("placeholder", "Zoeken…")

        factory.edit("publication.yml", "language: nl", "language: de")
        page.wait_for_selector('body[data-epoch="2"]')
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.locator("#status")).to_contain_text("Aktuell · 4 Seiten")
        expect(page.locator(".spread-label").nth(1)).to_have_text("Seiten 2–3")
        expect(page.locator(".chip--bleed span")).to_have_text("Beschnitt")
        expect(page.locator(".spread .notes").first).to_have_text("Keine Befunde")
        page.locator('.spread .page[data-number="2"]').click()
        expect(page.locator("#zoom-title")).to_have_text("Seite 2 von 4")
        expect(page.locator("#zoom-comment")).to_have_text("+ Kommentar")
        page.keyboard.press("Escape")

        factory.edit("publication.yml", "language: de", "language: fr")  # no catalog: the English words
        page.wait_for_selector('body[data-epoch="3"]')
        expect(page.locator("#status")).to_contain_text("Up to date · 4 pages")
        expect(page.locator(".chip--bleed span")).to_have_text("Bleed")
