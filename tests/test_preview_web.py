"""The web edition beside the pages in the live preview (issue #18): shown in a frame at a phone's, a
tablet's or the panel's width, served from the last build's files in memory and nothing else, and
loaded again when a save has made a new one."""

from __future__ import annotations

import base64
import http.client
import threading

import pytest
from conftest import ProjectFactory
from playwright.sync_api import expect
from preview_support import running_preview, wait_for
from test_preview_browser import open_preview, page  # noqa: F401 - fixtures
from test_preview_comments import get

from publication.preview.model import QUICK_WEB
from publication.preview.server import PreviewServer


def web_made(snapshot) -> bool:
    return not snapshot.building and snapshot.edition is not None and "index.html" in snapshot.edition.web


@pytest.fixture(scope="module")
def web_preview(tmp_path_factory):
    factory = ProjectFactory(tmp_path_factory.mktemp("web") / "project")
    with running_preview(factory.root, pipeline=QUICK_WEB) as (server, previewer):
        wait_for(previewer, web_made, "the web edition")
        yield factory, server, previewer


def open_web(page, server, epoch: int = 1):  # noqa: F811
    open_preview(page, server, epoch)
    page.locator(".chip--web").click()
    page.wait_for_selector(f'body[data-web-epoch="{epoch}"]', state="attached")
    return page.frame_locator("#web-frame")


def test_the_web_view_shows_the_publication_beside_the_pages_at_a_phones_width(web_preview, page):  # noqa: F811
    _, server, _ = web_preview
    web = open_web(page, server)
    expect(web.locator("h1")).to_have_text("Testbrochure")
    expect(web.locator("article h2").first).to_have_text("Een artikel")
    expect(page.locator(".chip--web")).to_have_text("Webeditie")  # the interface's words in the publication's
    expect(page.locator(".spread").first).to_be_visible()  # beside the pages on a wide window
    frame = page.locator("#web-frame")
    assert frame.evaluate("f => f.clientWidth") == 375
    # A phone's width: the page fits it, nothing scrolls sideways.
    widths = frame.evaluate("f => [f.contentDocument.documentElement.scrollWidth, f.contentWindow.innerWidth]")
    assert widths == [375, 375], f"the web edition is {widths[0]} px wide in a 375 px window"
    page.get_by_text("Tablet · 768 px").click()
    expect(frame).to_have_js_property("clientWidth", 768)
    page.get_by_text("Volle breedte").click()
    full = frame.evaluate("f => f.clientWidth")
    assert full > 600 and full == page.locator(".web-stage").evaluate("s => s.clientWidth")


def test_a_narrow_window_shows_the_web_edition_instead_of_the_pages(web_preview, browser):  # noqa: F811
    _, server, _ = web_preview
    context = browser.new_context(viewport={"width": 900, "height": 800})
    try:
        page = context.new_page()
        web = open_web(page, server)
        expect(web.locator("h1")).to_have_text("Testbrochure")
        expect(page.locator("#spreads")).to_be_hidden()
        page.locator(".chip--web").click()
        expect(page.locator("#spreads")).to_be_visible()
        expect(page.locator("#web")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("path", [
    "/web/../publication.yml", "/web/%2e%2e/x", "/web/%2E%2E/content/publication.yml",
    "/web/..%2fcontent%2fpublication.yml", "/web//etc/passwd", "/web/photos/../index.html",
    "/web/content/publication.yml", "/web/publication.yml", "/web/unknown.html", "/web/photos/foto.jpg",
    "/web/index.html/"])
def test_the_web_route_serves_only_what_the_build_wrote(web_preview, path):
    factory, server, previewer = web_preview
    status, body = get(server, path)
    assert status == 404, path
    project_files = [file.read_bytes() for file in factory.root.rglob("*") if file.is_file()]
    assert body == b"not found" and body not in project_files


def test_the_web_editions_files_are_served_with_their_types(web_preview):
    _, server, previewer = web_preview
    files = previewer.snapshot.edition.web
    kinds = {"index.html": "text/html; charset=utf-8", "style.css": "text/css; charset=utf-8", ".jpg": "image/jpeg",
             ".woff": "font/woff", ".pdf": "application/pdf"}
    for ending, kind in kinds.items():
        name = next(name for name in sorted(files) if name.endswith(ending))
        status, body = get(server, f"/web/{name}")
        assert status == 200 and body == files[name], name
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("HEAD", f"/web/{name}", headers={"Host": f"127.0.0.1:{server.port}"})
        response = connection.getresponse()
        assert response.getheader("Content-Type") == kind, name
        assert "script-src" not in response.getheader("Content-Security-Policy"), "the web edition runs no script"
        connection.close()
    assert get(server, "/web/")[1] == files["index.html"]


def test_beyond_loopback_the_web_edition_asks_for_the_password(web_preview):
    _, _, previewer = web_preview
    server = PreviewServer(previewer, "0.0.0.0", 0, password="correct horse")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        right = {"Authorization": "Basic " + base64.b64encode(b"anyone:correct horse").decode()}
        wrong = {"Authorization": "Basic " + base64.b64encode(b"anyone:wrong").decode()}
        for path in ("/web/index.html", "/web/style.css", "/web/unknown"):
            assert get(server, path)[0] == 401, path
            assert get(server, path, wrong)[0] == 401, path
        assert get(server, "/web/index.html", right) == (200, previewer.snapshot.edition.web["index.html"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_an_edited_heading_shows_in_the_web_view(project, page):  # noqa: F811
    with running_preview(project.root, pipeline=QUICK_WEB) as (server, previewer):
        wait_for(previewer, web_made, "the web edition")
        web = open_web(page, server)
        page.evaluate("window.sameDocument = true")
        expect(web.locator("article h2").first).to_have_text("Een artikel")

        project.edit("01-artikel.md", "title: Een artikel", "title: Een herschreven kop")

        page.wait_for_selector('body[data-web-epoch="2"]', state="attached")
        expect(web.locator("article h2").first).to_have_text("Een herschreven kop")
        assert page.evaluate("window.sameDocument") is True, "the preview page was reloaded"


def test_a_web_edition_that_cannot_be_made_leaves_the_pages_and_says_why(project):
    (project.root / "layouts" / "web").mkdir(parents=True)
    (project.root / "layouts" / "web" / "index.html.j2").write_text("<h1>{% if %}</h1>", encoding="utf-8")
    with running_preview(project.root, pipeline=QUICK_WEB) as (server, previewer):
        snapshot = wait_for(previewer, lambda s: not s.building and s.edition is not None and not s.edition.web_pending)
        assert len(snapshot.edition.pages) >= 1 and not snapshot.failure
        assert snapshot.edition.web == {} and snapshot.to_json()["edition"]["web"] == {"pending": False, "ready": False}
        assert any("web/index.html.j2" in (problem.location or "") for problem in snapshot.edition.findings), \
            [str(problem) for problem in snapshot.edition.findings]
        assert get(server, "/web/index.html")[0] == 404
