"""The live preview without a browser: pages built in memory, rebuilt on save, and the
server's defences (issue #7, section 5). The browser tests are in test_preview_browser.py."""

from __future__ import annotations

import http.client
import io
import json
import re
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from conftest import REPO, ProjectFactory
from PIL import Image
from preview_support import BUILD_WAIT, next_build, preflight_finding, running_preview, wait_for, with_preflight
from pypdf import PdfReader

from publication.preview.model import PAGE_DPI, PRINT_PIPELINE, ZOOM_DPI, Previewer, rasterise
from publication.preview.server import MAX_EVENT_STREAMS, PreviewServer

MM_PER_POINT = 25.4 / 72


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(server: PreviewServer, path: str, headers: dict[str, str] | None = None,
            host: str | None = None) -> Response:
    """A GET sent exactly as written: http.client does not normalise '..' or decode the path."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{server.port}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            body = b""
            while not body.endswith(b"\n\n"):  # the first event only; the stream stays open
                body += response.fp.readline()
        else:
            body = response.read()
        return Response(response.status, response.headers, body)
    finally:
        connection.close()


def first_event(response: Response) -> dict:
    data = next(line for line in response.body.decode().splitlines() if line.startswith("data: "))
    return json.loads(data.removeprefix("data: "))


@pytest.fixture
def preview(project):
    with running_preview(project.root) as (server, previewer):
        yield server, previewer


@pytest.fixture(scope="module")
def unchanging_preview(tmp_path_factory):
    """One preview shared by the tests that only read from it."""
    with running_preview(ProjectFactory(tmp_path_factory.mktemp("preview") / "project").root) as running:
        yield running


# --- what the preview shows -------------------------------------------------------------

def test_preview_shows_the_printed_pages_with_bleed_from_memory(project, preview):
    server, previewer = preview
    edition = previewer.snapshot.edition
    reader = PdfReader(io.BytesIO(edition.pdf))
    assert len(reader.pages) == len(edition.pages) == 4

    first = reader.pages[0]
    bleed = edition.geometry.bleed
    assert float(first.trimbox.width) * MM_PER_POINT == pytest.approx(edition.geometry.page_width, abs=0.1)
    assert float(first.bleedbox.width) * MM_PER_POINT == pytest.approx(edition.geometry.page_width + 2 * bleed, abs=0.1)

    state = json.loads(request(server, "/state.json").body)
    assert [page["digest"] for page in state["edition"]["pages"]] == [page.digest for page in edition.pages]
    assert "Eerste alinea van het artikel" in state["edition"]["pages"][1]["text"]

    width_px = (edition.geometry.page_width + 2 * bleed) / 25.4 * PAGE_DPI
    for page in state["edition"]["pages"]:
        response = request(server, f"/pages/{page['digest']}.png")
        assert response.status == 200 and response.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.body)).width == pytest.approx(width_px, abs=2)
    zoomed = request(server, f"/pages/{edition.pages[1].digest}@zoom.png")
    assert Image.open(io.BytesIO(zoomed.body)).width == pytest.approx(width_px * ZOOM_DPI / PAGE_DPI, abs=2)

    assert not (project.root / "dist").exists(), "the preview must not write into dist/"


def test_after_an_edit_the_pictures_are_those_of_a_fresh_drawing(project):
    """Pictures of unchanged pages are reused, not encoded again, and the pages the warm layout kept are not
    even rasterised again (their pictures are the same objects); all are what PDFium draws now."""
    project.write("02-artikel.md", "---\ntitle: Tweede artikel\n---\n\nEen alinea die blijft zoals ze is.\n")
    project.edit("publication.yml", "  - 01-artikel.md", "  - 01-artikel.md\n  - 02-artikel.md")
    previewer = Previewer(project.root)
    before = previewer.build_once().edition
    project.edit("01-artikel.md", "Eerste alinea", "Allereerste alinea")
    after = previewer.build_once().edition
    fresh = [png for _, png, _ in rasterise(after.pdf, previewer.dpi)]
    assert [page.png for page in after.pages] == fresh
    changed = [b.digest != a.digest for b, a in zip(before.pages, after.pages)]
    assert len(changed) == len(after.pages) and any(changed) and not all(changed)
    assert "Allereerste alinea" in " ".join(page.text for page in after.pages)
    assert any(b is a for b, a in zip(before.pages, after.pages)), "kept pages were rasterised again"
    # each page zoomed is that page of the whole file, whether it was drawn anew (alone) or kept
    for page in after.pages:
        [(_, zoomed, _)] = rasterise(after.pdf, ZOOM_DPI, [page.number])
        assert previewer.page_png(page.digest, zoomed=True) == zoomed, page.number


def test_a_failed_build_keeps_the_last_good_pages_and_says_where(project):
    previewer = Previewer(project.root)
    good = previewer.build_once()
    assert good.failure == () and good.edition.epoch == 1

    project.edit("01-artikel.md", "title: Een artikel", "title: [Een artikel")
    failed = previewer.build_once()
    assert failed.edition is good.edition
    [problem] = failed.failure
    assert re.fullmatch(r"content/01-artikel\.md:\d+", problem.location)
    assert "YAML" in problem.message and problem.severity == "error"
    assert first_json_failure(failed) == {"where": problem.location, "message": problem.message}

    project.edit("01-artikel.md", "title: [Een artikel", "title: Een artikel")
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea, nu langer geschreven.")
    fixed = previewer.build_once()
    assert fixed.failure == () and fixed.edition.epoch == 2
    old, new = good.edition.pages, fixed.edition.pages
    assert new[0].digest == old[0].digest, "an unchanged cover keeps its picture, so browsers keep it cached"
    assert new[1].digest != old[1].digest and "nu langer geschreven" in new[1].text
    assert not (project.root / "dist").exists()


def first_json_failure(snapshot) -> dict:
    failure = snapshot.to_json()["failure"][0]
    return {"where": failure["where"], "message": failure["message"]}


def test_preflight_findings_are_placed_on_their_pages(project):
    def preflight(project, rendition, pdf):
        yield preflight_finding("warning", "image-resolution", "photo is 120 ppi at its printed size",
                               2, "content/01-artikel.md:7", (20.0, 40.0, 175.0, 90.0))
        yield preflight_finding("error", "page-count", "the page count is not a multiple of 4", None,
                               "content/publication.yml")

    snapshot = Previewer(project.root, pipeline=with_preflight(preflight)).build_once()
    sent = json.loads(json.dumps(snapshot.to_json()))  # as the browser receives it
    assert sent["edition"]["findings"] == [
        {"message": "photo is 120 ppi at its printed size", "severity": "warning", "page": 2,
         "code": "image-resolution", "where": "content/01-artikel.md:7", "area": [20.0, 40.0, 175.0, 90.0]},
        {"message": "the page count is not a multiple of 4", "severity": "error", "page": None,
         "code": "page-count", "where": "content/publication.yml", "area": None},
    ]


def test_a_preflight_that_crashes_does_not_take_the_pages_away(project):
    def preflight(project, rendition, pdf):
        raise RuntimeError("boom")

    snapshot = Previewer(project.root, pipeline=with_preflight(preflight)).build_once()
    assert len(snapshot.edition.pages) == 4
    assert [f.code for f in snapshot.edition.findings] == ["preflight-crashed"]


def test_the_real_print_preflight_places_its_findings_on_their_pages(project):
    """No fake here: the preview's own pipeline, and a photo far too small for print on page 2."""
    Image.new("RGB", (100, 67), (90, 120, 160)).save(project.content / "photos" / "foto.jpg", quality=85)
    previewer = Previewer(project.root)
    assert previewer.pipeline is PRINT_PIPELINE

    snapshot = previewer.build_once()

    assert snapshot.failure == () and not snapshot.edition.preflight_pending
    assert snapshot.edition.pipeline == "print"
    findings = snapshot.to_json()["edition"]["findings"]
    resolution = [finding for finding in findings if finding["code"] == "image-resolution"]
    assert len(resolution) == 1, f"the print preflight's finding on the small photo is missing: {findings}"
    [finding] = resolution
    assert finding["severity"] == "error" and finding["page"] == 2
    assert finding["where"] == "content/01-artikel.md:7"
    assert finding["message"].startswith("photo is 100×67 px at ") and "30 ppi effective" in finding["message"]
    left, top, width, height = finding["area"]
    assert 0 < left and 0 < top and width > 50 and height > 30, "the photo's place on the page, in mm"
    assert "Tweede alinea" in snapshot.edition.pages[1].text


def test_saving_a_content_file_rebuilds(project, preview):
    _, previewer = preview
    before = previewer.snapshot
    project.edit("01-artikel.md", "Eerste alinea", "Allereerste alinea")
    after = next_build(previewer, before)
    assert after.edition.epoch == before.edition.epoch + 1
    assert "Allereerste alinea" in after.edition.pages[1].text


def test_a_layout_saved_in_the_project_rebuilds_with_it(project, preview):
    _, previewer = preview
    before = previewer.snapshot
    colofon = (REPO / "layouts" / "colofon.html.j2").read_text(encoding="utf-8")
    assert colofon.count("_('Colophon') }}</h2>") == 1
    override = project.root / "layouts" / "colofon.html.j2"
    override.parent.mkdir()
    override.write_text(colofon.replace("_('Colophon') }}</h2>", "'Over deze uitgave' }}</h2>"), encoding="utf-8")
    after = next_build(previewer, before)
    assert after.failure == ()
    assert "Over deze uitgave Uitgave" in after.edition.pages[2].text
    assert "Colofon Uitgave" in before.edition.pages[2].text


# --- the server's defences (#7.5) -----------------------------------------------------------

def test_the_command_listens_on_loopback_only_and_stops_cleanly(project):
    process = subprocess.Popen([sys.executable, "-m", "publication", "preview", str(project.root), "--port", "0"],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        match = re.search(r"at (http://[^ ]+/)$", line.strip())
        assert match, line
        url = match.group(1)
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=30):
            pass
        outside = non_loopback_address()
        if outside:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((outside, port), timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors


def non_loopback_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


TRAVERSALS = [
    "/../../etc/passwd",
    "/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/%25252e%25252e%25252fetc%25252fpasswd",
    "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/..\\..\\..\\etc\\passwd",
    "/pages/../../../../etc/passwd",
    "/pages/..%2f..%2f..%2fetc%2fpasswd.png",
    "/preview.css/../../../etc/passwd",
    "//etc/passwd",
    "/etc/passwd",
    "/content/publication.yml",
    "/content/01-artikel.md",
    "/.cache/",
    "/preview.js%00.png",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(unchanging_preview, path):
    server, _ = unchanging_preview
    response = request(server, path)
    assert response.status == 404
    assert b"root:" not in response.body and b"title:" not in response.body


def test_an_absolute_form_request_target_cannot_reach_files(unchanging_preview):
    server, _ = unchanging_preview
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as raw:
        raw.sendall(f"GET http://127.0.0.1:{server.port}/../../etc/passwd HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.0 404") and b"root:" not in answer


def test_a_burst_of_500_requests_from_20_threads_during_a_rebuild(project, preview):
    server, previewer = preview
    idle = previewer.snapshot
    pages = [page.digest for page in idle.edition.pages]
    paths = ["/", "/state.json", "/preview.js", "/preview.css", *[f"/pages/{digest}.png" for digest in pages]]

    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea, tijdens een drukke stroom verzoeken.")
    wait_for(previewer, lambda s: s.building, "the rebuild")

    def fetch(index: int) -> tuple[int, str, int]:
        path = paths[index % len(paths)]
        response = request(server, path)
        return response.status, path, len(response.body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(fetch, range(500)))

    assert len(results) == 500
    assert [result for result in results if result[0] != 200] == []
    sizes = {path: {size for _, p, size in results if p == path} for path in paths if path.startswith("/pages/")}
    assert all(len(found) == 1 and found.pop() > 1000 for found in sizes.values()), "a page image came back cut short"

    rebuilt = next_build(previewer, idle)
    assert rebuilt.failure == () and rebuilt.edition.epoch == idle.edition.epoch + 1
    assert json.loads(request(server, "/state.json").body)["edition"]["epoch"] == rebuilt.edition.epoch


FOREIGN = [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:1"},
    {"Origin": "https://127.0.0.1"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
]


@pytest.mark.parametrize("headers", FOREIGN, ids=lambda h: "-".join(h.values()))
def test_other_origins_get_no_access_to_the_event_stream(unchanging_preview, headers):
    server, _ = unchanging_preview
    for path in ("/events", "/state.json", "/"):
        response = request(server, path, headers)
        assert response.status == 403, path
        assert "Access-Control-Allow-Origin" not in response.headers
        assert b"edition" not in response.body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "127.0.0.1:1"])
def test_requests_for_another_host_name_are_refused(unchanging_preview, host):
    server, _ = unchanging_preview
    response = request(server, "/events", host=host.format(port=server.port))
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_preview_itself_reads_its_event_stream(unchanging_preview, host):
    server, previewer = unchanging_preview
    own = f"{host}:{server.port}"
    response = request(server, "/events", {"Origin": f"http://{own}", "Sec-Fetch-Site": "same-origin"}, host=own)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert first_event(response)["edition"]["epoch"] == previewer.snapshot.edition.epoch


def test_event_streams_are_bounded(preview):
    server, previewer = preview
    streams = []
    try:
        for _ in range(MAX_EVENT_STREAMS):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            connection.request("GET", "/events")
            streams.append(connection.getresponse())
            assert streams[-1].status == 200
        assert request(server, "/events").status == 503
    finally:
        for stream in streams:
            stream.close()
    # A closed stream gives its place back when the server next writes to it: after a rebuild.
    idle = previewer.snapshot
    previewer.request_build()
    next_build(previewer, idle)
    assert all(server.event_streams.acquire(timeout=60) for _ in range(MAX_EVENT_STREAMS))


def test_the_pages_are_shown_before_the_preflight_has_finished(project):
    checked = threading.Event()

    def slow_preflight(project, rendition, pdf):
        assert checked.wait(BUILD_WAIT), "the test never let the preflight finish"
        yield preflight_finding("warning", "image-resolution", "photo is 120 ppi", 2)

    previewer = Previewer(project.root, pipeline=with_preflight(slow_preflight))
    build = threading.Thread(target=previewer.build_once)
    build.start()
    try:
        early = wait_for(previewer, lambda s: s.edition is not None, "the first pages")
        assert early.building and early.edition.preflight_pending and early.edition.findings == ()
        assert len(early.edition.pages) == 4
    finally:
        checked.set()
        build.join()
    done = previewer.snapshot
    assert not done.building and not done.edition.preflight_pending
    assert [finding.page for finding in done.edition.findings] == [2]
    assert [page.digest for page in done.edition.pages] == [page.digest for page in early.edition.pages]
