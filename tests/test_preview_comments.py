"""Comments in the live preview (issue #16): left on a page in a real browser, kept in the project's
review/comments.yml, listed by `publication comments`; and the defences of a preview that can write."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from conftest import REPO, ProjectFactory
from playwright.sync_api import expect
from preview_support import running_preview
from test_preview_browser import open_preview, page  # noqa: F401 - fixtures

from publication.commands.review import MAX_COMMENT_CHARS, REVIEW_FILE, read_entries
from publication.core.units import PT_PER_MM
from publication.preview.model import QUICK, Previewer
from publication.preview.server import TOKEN_HEADER, PreviewServer

ARTICLE = "content/01-artikel.md"
PARAGRAPH = "Eerste alinea van het artikel."


@pytest.fixture(scope="module")
def commented(tmp_path_factory):
    """One quick preview for the tests that write comments; each test looks at what it wrote."""
    factory = ProjectFactory(tmp_path_factory.mktemp("commented") / "project")
    with running_preview(factory.root, pipeline=QUICK) as (server, previewer):
        yield factory.root, server, previewer


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the project with its bytes and modification time."""
    return {str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(root.rglob("*")) if path.is_file()}


def post(server: PreviewServer, path: str, body: bytes | dict, headers: dict[str, str] | None = None,
         *, host: str | None = None, own: bool = True) -> tuple[int, str]:
    """A POST sent exactly as written; `own` adds what the preview's own page sends."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Host": host or f"127.0.0.1:{server.port}"}
    if own:
        sent |= {"Origin": f"http://127.0.0.1:{server.port}", TOKEN_HEADER: server.token,
                 "Content-Type": "application/json"}
    sent |= headers or {}
    sent = {name: value for name, value in sent.items() if value is not None}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def get(server: PreviewServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{server.port}", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def place_of(previewer: Previewer, text: str) -> tuple[int, float, float]:
    """The page and the middle of the printed line that holds `text`, in mm from the trimmed page's top left."""
    edition = previewer.snapshot.edition
    for found in edition.line_map["pages"]:
        for line in found["lines"]:
            if text in line["text"]:
                x = (line["left"] + line["right"]) / 2 / PT_PER_MM
                y = edition.geometry.page_height - (line["bottom"] + line["top"]) / 2 / PT_PER_MM
                return found["page"], x, y
    raise AssertionError(f"{text!r} is not printed")


def comment_json(root: Path) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "publication", "comments", "--project", str(root),
                             "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- in the browser --------------------------------------------------------------------


def comment_at(tab, previewer, place: tuple[int, float, float], author: str, text: str) -> None:
    """In the large view of the page, a comment at (page number, x mm, y mm), saved as `author`."""
    number, x, y = place
    tab.locator(f'.spread .page[data-number="{number}"]').click()
    tab.locator("#zoom-comment").click()
    box = tab.locator("#zoom-stage .sheet").bounding_box()
    geometry = previewer.snapshot.edition.geometry
    tab.mouse.click(box["x"] + box["width"] * x / geometry.page_width,
                    box["y"] + box["height"] * y / geometry.page_height)
    tab.locator("#comment-author").fill(author)
    tab.locator("#comment-text").fill(text)
    tab.locator("#comment-save").click()


def test_a_comment_left_on_a_page_is_listed_with_its_source_line(commented, page):  # noqa: F811
    root, server, previewer = commented
    number, x, y = place_of(previewer, PARAGRAPH)
    open_preview(page, server, previewer.snapshot.edition.epoch)
    comment_at(page, previewer, (number, x, y), "Anna Reviewer", "Is this the right opening sentence?")
    expect(page.locator("#zoom-stage .pin:not(.pin--draft)")).to_have_count(1)
    expect(page.locator("#zoom-comments .comment-where")).to_have_text(f"{ARTICLE}:5")
    expect(page.locator("#comment-form")).to_be_hidden()

    listed = [found for found in comment_json(root) if found["comment"] == "Is this the right opening sentence?"]
    assert len(listed) == 1
    [found] = listed
    assert (found["file"], found["line"], found["page"], found["author"]) == (ARTICLE, 5, number, "Anna Reviewer")
    assert PARAGRAPH in found["quoted"] and not found["stale"] and found["state"] == "open"
    assert abs(found["position_mm"][0] - x) < 1 and abs(found["position_mm"][1] - y) < 1

    # A second reader of the same preview sees it, replies, and resolves it; the name is asked once.
    other = page.context.browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    try:
        open_preview(other, server, previewer.snapshot.edition.epoch)
        expect(other.locator(f'.spread .page[data-number="{number}"] .pin')).to_have_count(1)
        other.locator(f'.spread .page[data-number="{number}"] .pin').click()
        other.locator("#reviewer-name").fill("Bob Editor")
        other.locator("#reviewer-name").dispatch_event("change")
        other.locator("#zoom-comments .reply-text").fill("Yes, it stays.")
        other.locator("#zoom-comments .reply-send").click()
        expect(other.locator("#zoom-comments .comment-reply")).to_contain_text("Yes, it stays.")
        other.locator("#zoom-comments .comment-resolve").click()
        expect(other.locator("#zoom-comments .comment--resolved")).to_have_count(1)
    finally:
        other.context.close()
    # The first page follows without a reload.
    expect(page.locator("#zoom-comments .comment-reply")).to_contain_text("Bob Editor")
    expect(page.locator("#zoom-stage .pin--resolved")).to_have_count(1)

    entries = yaml.safe_load((root / REVIEW_FILE).read_text(encoding="utf-8"))
    [parent] = [entry for entry in entries if entry["comment"] == "Is this the right opening sentence?"]
    [reply] = [entry for entry in entries if entry.get("reply_to") == parent["id"]]
    assert (parent["state"], parent["resolved_by"], reply["author"]) == ("resolved", "Bob Editor", "Bob Editor")
    assert list(parent)[:3] == ["id", "page", "x_mm"] and parent["time"].endswith("Z")
    listed = {found["id"]: found for found in comment_json(root)}
    assert listed[reply["id"]]["in_reply_to"] == parent["id"]
    assert listed[parent["id"]]["state"] == "resolved"


# --- the defences of a writable preview --------------------------------------------------

REFUSED = {
    "another web site": ({"Origin": "http://evil.example"}, "/comments", 403),
    "no Origin": ({"Origin": None}, "/comments", 403),
    "no token": ({TOKEN_HEADER: None}, "/comments", 403),
    "a wrong token": ({TOKEN_HEADER: "guessed"}, "/comments", 403),
    "a cross-site fetch": ({"Sec-Fetch-Site": "cross-site"}, "/comments", 403),
    "a form's content type": ({"Content-Type": "application/x-www-form-urlencoded"}, "/comments", 415),
    "text/plain": ({"Content-Type": "text/plain"}, "/comments", 415),
    "a file in the query": ({}, "/comments?file=../x", 404),
    "a path in the route": ({}, "/comments/../../content/x", 404),
    "another route": ({}, "/content/01-artikel.md", 404),
}


def a_comment(previewer: Previewer, **changes) -> dict:
    number, x, y = place_of(previewer, PARAGRAPH)
    return {"page": number, "x_mm": x, "y_mm": y, "author": "Test", "comment": "A remark."} | changes


@pytest.mark.parametrize("case", REFUSED)
def test_writes_not_from_the_preview_page_are_refused_and_change_no_file(commented, case):
    root, server, previewer = commented
    headers, route, status = REFUSED[case]
    before = tree(root)
    answer = post(server, route, a_comment(previewer), headers)
    assert answer[0] == status, answer
    assert tree(root) == before


@pytest.mark.parametrize("body, status", [
    ({"comment": "x" * (MAX_COMMENT_CHARS + 1)}, 413),
    ({"comment": "   "}, 400),
    ({"file": "../outside.yml"}, 400),
    ({"path": "content/publication.yml"}, 400),
    ({"page": 99}, 400),
    ({"x_mm": 5000}, 400),
])
def test_a_bad_comment_is_refused_with_a_message_and_changes_no_file(commented, body, status):
    root, server, previewer = commented
    before = tree(root)
    answer = post(server, "/comments", a_comment(previewer, **body))
    assert answer[0] == status and answer[1], answer
    assert tree(root) == before
    assert not (root.parent / "outside.yml").exists()


def test_an_oversized_request_is_refused_unread(commented):
    root, server, previewer = commented
    before = tree(root)
    # Only the head is sent, announcing 2 MB: the answer comes without the body being waited for (sending
    # the body too raced the server's close, a broken pipe half the time).
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("POST", "/comments", skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{server.port}", "Origin": f"http://127.0.0.1:{server.port}",
                            TOKEN_HEADER: server.token, "Content-Type": "application/json",
                            "Content-Length": "2000000"}.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        status, message = response.status, response.read().decode()
    finally:
        connection.close()
    assert status == 413 and "2000000" in message, (status, message)
    assert tree(root) == before


def test_the_token_is_served_in_the_page_and_a_right_request_writes(commented):
    """The other side of the refusals: the same request with the page's token is written."""
    root, server, previewer = commented
    status, index = get(server, "/")
    assert status == 200 and f'content="{server.token}"'.encode() in index
    before = tree(root)
    status, answer = post(server, "/comments", a_comment(previewer, comment="Written."))
    assert status == 201, answer
    assert tree(root) != before and set(tree(root)) - set(before) <= {REVIEW_FILE}
    assert json.loads(answer)["file"] == ARTICLE


def test_concurrent_comments_all_land(commented):
    root, server, previewer = commented
    count = len(read_entries(root))
    answers = []

    def send(index: int) -> None:
        answers.append(post(server, "/comments", a_comment(previewer, comment=f"Concurrent {index}")))
    threads = [threading.Thread(target=send, args=(index,)) for index in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [201] * 24
    entries = read_entries(root)
    assert len(entries) == count + 24
    assert {f"Concurrent {index}" for index in range(24)} <= {entry["comment"] for entry in entries}
    assert len({entry["id"] for entry in entries}) == len(entries)


def test_beyond_loopback_nothing_is_read_or_written_without_the_password(tmp_path):
    root = ProjectFactory(tmp_path / "project").root
    previewer = Previewer(root, pipeline=QUICK)
    with pytest.raises(ValueError):
        PreviewServer(previewer, "0.0.0.0", 0)
    server = PreviewServer(previewer, "0.0.0.0", 0, password="correct horse")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previewer.start()
    try:
        previewer.wait_until(lambda s: s.edition is not None, 120)
        before = tree(root)
        wrong = {"Authorization": "Basic " + base64.b64encode(b"anyone:wrong").decode()}
        right = {"Authorization": "Basic " + base64.b64encode(b"anyone:correct horse").decode()}
        for path in ("/", "/state.json", "/comments.json", "/events", "/preview.js"):
            assert get(server, path)[0] == 401, path
            assert get(server, path, wrong)[0] == 401, path
        assert post(server, "/comments", a_comment(previewer))[0] == 401
        assert post(server, "/comments", a_comment(previewer), wrong)[0] == 401
        assert tree(root) == before
        assert get(server, "/comments.json", right)[0] == 200
        assert post(server, "/comments", a_comment(previewer), right)[0] == 201
    finally:
        previewer.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the file ------------------------------------------------------------------------------

def test_the_command_lists_the_preview_comments_alone_and_follows_the_source(tmp_path):
    """Without a PDF, `publication comments --project` lists the preview's comments; a comment moves
    with its line when lines are added above it, and is stale once its text is gone."""
    from publication.commands.review import Place, add_comment, add_reply

    factory = ProjectFactory(tmp_path / "project")
    import hashlib
    digest = hashlib.sha256((factory.root / ARTICLE).read_bytes()).hexdigest()
    typed = "Shorter?\nOr leave it out:\n\n  it says what the title says."
    parent = add_comment(factory.root, Place(2, 30.0, 42.0, ARTICLE, 5, digest, PARAGRAPH), "Anna", typed)
    add_reply(factory.root, parent["id"], "Bob", "Agreed.")
    assert "comment: |" in (factory.root / REVIEW_FILE).read_text(encoding="utf-8"), "a block, line for line"
    assert read_entries(factory.root)[0]["comment"] == typed.strip()
    found, reply = sorted(comment_json(factory.root), key=lambda c: c["in_reply_to"] is not None)
    assert (found["file"], found["line"], found["page"], found["stale"]) == (ARTICLE, 5, 2, False)
    assert (reply["in_reply_to"], reply["line"], reply["stale"]) == (parent["id"], 5, False)
    factory.edit("01-artikel.md", PARAGRAPH, "Een nieuwe regel.\n\n" + PARAGRAPH)
    found, reply = sorted(comment_json(factory.root), key=lambda c: c["in_reply_to"] is not None)
    assert (found["line"], found["stale"]) == (7, False)
    assert (reply["line"], reply["stale"]) == (7, False), "a reply moves with its comment"
    factory.edit("01-artikel.md", PARAGRAPH, "Een heel andere alinea.")
    found, reply = sorted(comment_json(factory.root), key=lambda c: c["in_reply_to"] is not None)
    assert found["stale"] is True and reply["stale"] is True


def test_a_broken_review_file_is_reported_at_its_line(tmp_path):
    factory = ProjectFactory(tmp_path / "project")
    (factory.root / "review").mkdir()
    (factory.root / REVIEW_FILE).write_text("- id: a\n  page: 1\n  comment: 'unclosed\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "publication", "comments", "--project", str(factory.root)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 1
    assert f"{REVIEW_FILE}:3" in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_the_command_on_a_network_address_makes_up_a_password_and_asks_for_it(tmp_path):
    import re
    import signal

    root = ProjectFactory(tmp_path / "project").root
    process = subprocess.Popen([sys.executable, "-m", "publication", "preview", str(root), "--port", "0",
                                "--host", "0.0.0.0"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**__import__("os").environ, "PUBLICATION_PREVIEW_PASSWORD": ""})
    try:
        lines = [process.stderr.readline()]
        while "Watching" not in lines[-1] and lines[-1]:
            lines.append(process.stderr.readline())
        port = int(re.search(r"at http://[^ ]+:(\d+)/", "".join(lines)).group(1))
        password = re.search(r"password: (\S+);", "".join(lines)).group(1)
        # The warning is one line, even in a pipe; the address printed is one colleagues can open.
        assert any("warning: listening on 0.0.0.0" in line and "can see the preview" in line for line in lines), lines
        shown = re.findall(r"http://([^ /]+):(\d+)/", "".join(lines))
        assert shown and all(int(number) == port for _, number in shown), lines
        assert all(name not in ("0.0.0.0", "127.0.0.1", "localhost") for name, _ in shown), lines
        first = shown[0][0]
        connection = http.client.HTTPConnection(first.strip("[]"), port, timeout=30)
        connection.request("GET", "/", headers={"Host": f"{first}:{port}"})
        assert connection.getresponse().status == 401, "a colleague at the printed address is asked the password"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/comments.json", headers={"Host": f"0.0.0.0:{port}"})
        assert connection.getresponse().status == 401
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        credentials = base64.b64encode(f"me:{password}".encode()).decode()
        connection.request("GET", "/comments.json", headers={"Host": f"0.0.0.0:{port}",
                                                             "Authorization": f"Basic {credentials}"})
        assert connection.getresponse().status == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    assert "Traceback" not in errors


@pytest.mark.parametrize("body", [
    b"[" * 30000 + b"]" * 30000,
    b'{"page": 2, "x_mm": 10, "y_mm": 10, "author": "A", "comment": "\\ud800"}',
    b'{"page": true, "x_mm": 10, "y_mm": 10, "author": "A", "comment": "x"}',
    b'{"page": 2, "x_mm": NaN, "y_mm": 10, "author": "A", "comment": "x"}',
    b"\xff\xfe not json",
], ids=["nested 30,000 deep", "a lone surrogate", "a page that is true", "NaN", "not UTF-8"])
def test_malformed_requests_are_refused_and_change_no_file(commented, body):
    root, server, previewer = commented
    before = tree(root)
    status, message = post(server, "/comments", body)
    assert status == 400 and message, (status, message)
    assert tree(root) == before


def test_a_colleague_with_the_password_sees_the_pages_and_comments(tmp_path, browser):  # noqa: F811
    root = ProjectFactory(tmp_path / "project").root
    previewer = Previewer(root, pipeline=QUICK)
    server = PreviewServer(previewer, "0.0.0.0", 0, password="correct horse")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previewer.start()
    context = browser.new_context(viewport={"width": 1440, "height": 900},
                                  http_credentials={"username": "colleague", "password": "correct horse"})
    try:
        previewer.wait_until(lambda s: s.edition is not None, 120)
        page = context.new_page()  # noqa: F811
        open_preview(page, server, previewer.snapshot.edition.epoch)
        page.wait_for_function("[...document.querySelectorAll('.spread img')].every(i => i.naturalWidth > 0)")
        number, x, y = place_of(previewer, PARAGRAPH)
        comment_at(page, previewer, (number, x, y), "Colleague", "Seen from another computer.")
        expect(page.locator("#zoom-comments .comment-where")).to_have_text(f"{ARTICLE}:5")
        assert [entry["comment"] for entry in read_entries(root)] == ["Seen from another computer."]
    finally:
        context.close()
        previewer.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _proof_place(proof: Path, text: str):
    """The page and the middle of the printed line holding `text`, in mm from the trimmed page's top left,
    from the proof's map of printed lines (as the preview places a comment), and that line's entry."""
    import pikepdf

    from publication.editions.proof import LINE_MAP_KEY

    with pikepdf.open(proof) as pdf:
        line_map = json.loads(pdf.Root[LINE_MAP_KEY].read_bytes())
        height = float(pdf.pages[0].trimbox[3])
    for found in line_map["pages"]:
        for line in found["lines"]:
            if text in line["text"]:
                x = (line["left"] + line["right"]) / 2 / PT_PER_MM
                y = (height - (line["bottom"] + line["top"]) / 2) / PT_PER_MM
                return found["page"], x, y, line, line_map["sources"][line["source"]]
    raise AssertionError(f"{text!r} is not printed")


def test_the_html_report_pictures_a_preview_comment_from_the_built_pages(tmp_path):
    """A comment left in the preview has no proof to crop from: the report draws its place from the
    project's built brochure, with the commented line in the middle, and shows no picture once the
    page no longer has that line there."""
    import hashlib
    import io
    import re

    from PIL import Image

    from publication.commands.build import BuildOptions, build
    from publication.commands.comments import CROP_DPI, PREVIEW_CROP_MM
    from publication.commands.review import Place, add_comment

    factory = ProjectFactory(tmp_path / "project")
    written = build(factory.root, BuildOptions(targets=("standard", "proof"))).written
    proof = next(path for path in written if "-proof-" in path.name)
    number, x, y, line, digest = _proof_place(proof, PARAGRAPH)
    assert digest == hashlib.sha256((factory.root / ARTICLE).read_bytes()).hexdigest()
    add_comment(factory.root, Place(number, x, y, ARTICLE, line["line"], digest, line["text"]), "Anna", "Shorter?")
    command = [sys.executable, "-m", "publication", "comments", "--project", str(factory.root), "--format", "html"]
    with_proof = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120).stdout
    assert proof.name in with_proof and "<img" in with_proof, "the proof of the same source is pictured first"
    proof.unlink()  # the brochure itself, dist/<slug>.pdf, is what is left to picture it from
    # The same line, said to be 60 mm further down: the page there does not show it.
    add_comment(factory.root, Place(number, x, y + 60, ARTICLE, line["line"], digest, line["text"]), "Bob", "Moved?")
    report = tmp_path / "comments.html"
    result = subprocess.run([*command, "-o", str(report)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    written_html = report.read_text(encoding="utf-8")
    sections = {re.search(r'<p class="who">(\w+)', section).group(1): section
                for section in written_html.split("<section")[1:]}
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', sections["Anna"])
    assert len(images) == 1, sections["Anna"]
    assert "testbrochure.pdf" in sections["Anna"], "the report says which file the picture is from"
    picture = Image.open(io.BytesIO(base64.b64decode(images[0]))).convert("RGB")
    picture.save(tmp_path / "crop.png")
    expected = [round(size / 25.4 * CROP_DPI) for size in PREVIEW_CROP_MM]
    assert all(abs(got - want) <= 2 for got, want in zip(picture.size, expected)), (picture.size, expected)
    # The commented line is in the middle: dark text ink (not the ring drawn around the place) on the
    # rows through the middle, and the whole picture is not blank.
    middle = picture.crop((0, picture.height // 2 - 8, picture.width, picture.height // 2 + 8))
    pixels = middle.tobytes()
    dark = sum(1 for index in range(0, len(pixels), 3) if max(pixels[index:index + 3]) < 110)
    assert dark > 40, f"only {dark} dark pixels on the commented line"
    assert "<img" not in sections["Bob"] and "no longer show this line" in sections["Bob"]


def test_the_listing_and_the_summary_do_not_run_together_in_one_pipe(tmp_path):
    """`publication comments 2>&1 | less`: the comments (stdout) come first, each on its own line, a reply
    after its comment, and the count (stderr) on a line of its own after them, not glued to the last one."""
    from publication.commands.review import dump_entries

    factory = ProjectFactory(tmp_path / "project")
    # A comment and its reply in the same second, the reply's random id sorting first: it still follows.
    place = {"page": 2, "x_mm": 30.0, "y_mm": 42.0, "file": ARTICLE, "line": 5, "time": "2026-11-30T07:00:00Z"}
    (factory.root / "review").mkdir()
    (factory.root / REVIEW_FILE).write_bytes(dump_entries([
        {"id": "20261130T070000Z-ffffffff", **place, "quoted": PARAGRAPH, "author": "Anna", "comment": "Shorter?",
         "state": "open"},
        {"id": "20261130T070000Z-00000000", **place, "author": "Bob", "comment": "Agreed.",
         "reply_to": "20261130T070000Z-ffffffff"}]))
    result = subprocess.run([sys.executable, "-m", "publication", "comments", "--project", str(factory.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.split("\n")
    assert lines[-1] == "" and lines[-2] == "2 comments.", lines
    assert len(lines) == 4 and lines[0].endswith("Shorter?") and lines[1].endswith("Agreed."), lines


@pytest.mark.parametrize("body, headers, status, dutch", [
    ({"comment": "x" * (MAX_COMMENT_CHARS + 1)}, {}, 413,
     f"de opmerking is {MAX_COMMENT_CHARS + 1} tekens lang; houd haar onder de {MAX_COMMENT_CHARS}"),
    ({"comment": "   "}, {}, 400, "de opmerking is leeg: typ haar en sla opnieuw op"),
    ({"page": 99}, {}, 400, "er is geen pagina 99; de brochure heeft er"),
    ({}, {"Origin": "http://evil.example"}, 403, "verzoeken van andere websites worden geweigerd"),
    ({}, {TOKEN_HEADER: "guessed"}, 403, "deze pagina komt van een eerdere start van het voorbeeld"),
], ids=["too long", "empty", "no such page", "another web site", "an old page"])
def test_refusals_speak_the_publications_language(commented, body, headers, status, dutch):
    """The test project is Dutch: the message the preview's page shows for a refused comment is Dutch too."""
    root, server, previewer = commented
    answer = post(server, "/comments", a_comment(previewer, **body), headers)
    assert answer[0] == status and dutch in answer[1], answer
