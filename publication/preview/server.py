"""The live preview's web server, on 127.0.0.1 unless asked otherwise.

Built on the standard library's ThreadingHTTPServer: the preview serves one person's
browser on their own machine (a page, two static files, page images from memory and
one event stream), and a thread per connection is plenty for that. It adds no
dependency, and the build it waits on is CPU-bound Python anyway, so an async stack
would not make a rebuild any faster.

Any web page the user visits can send requests to localhost, so the server trusts nothing:
- the routes are a fixed table and no URL is ever mapped to a file, so no path, however
  encoded, can reach outside the pages it holds in memory;
- the Host header must name the preview itself (against DNS rebinding), and a request with
  another Origin, or a browser's Sec-Fetch-Site saying it comes from another site, is refused;
- no Access-Control-Allow-Origin header is ever sent, so other origins cannot read anything;
- a Content-Security-Policy lets the page load only the preview's own scripts and images;
- the web edition (`/web/<name>`) is served from the last build's files in memory, looked up by name in
  the dict the build made: a name it did not write (`..`, a path, anything else) is not found. Those
  pages run no script and may be framed only by the preview's own page.

Comments make the preview writable, so writes are held to more:
- the one thing a request can change is review/comments.yml, through commands/review.py (atomic
  write, under a lock, size limits); the routes are fixed and a request naming a file or carrying
  any field or query the route does not take is refused;
- a write needs the preview's own Origin header AND the per-session token the page was served
  with, sent back in a header; and a JSON body (a cross-site HTML form can send neither);
- listening beyond loopback (`--host`), every request needs the shared password (HTTP Basic,
  compared in constant time) before anything is read or written.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import re
import secrets
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from ..commands.review import ReviewRefused, add_comment, add_reply, read_entries, set_state
from ..core.i18n import untranslated as _
from ..core.i18n import words_for
from ..core.problems import BuildFailed
from .model import Previewer

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/preview.css": ("preview.css", "text/css; charset=utf-8"),
    "/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
PAGE_ROUTE = re.compile(r"/pages/([0-9a-f]{16})(@zoom)?\.png")
WORDS_ROUTE = re.compile(r"/pages/([0-9a-f]{16})\.words\.json")
WEB_ROUTE = "/web/"
WEB_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".png": "image/png", ".svg": "image/svg+xml", ".woff": "font/woff",
    ".woff2": "font/woff2", ".pdf": "application/pdf",
}
LANGUAGE_ROUTE = re.compile(r"/words/([a-z]{2}(?:-[A-Z]{2})?)\.json")
HEARTBEAT_SECONDS = 15
MAX_EVENT_STREAMS = 16
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
EVERY_INTERFACE = ("0.0.0.0", "::", "")
"""--host values that listen on all of the computer's network addresses."""


def network_names(host: str) -> list[str]:
    """The names colleagues reach this computer by when the preview listens on every interface
    (0.0.0.0): its network addresses (the one its traffic leaves by, found by pointing a UDP socket at
    a documentation address, which sends nothing, and those its name resolves to), then its name."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    found = []
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(("2001:db8::1" if family == socket.AF_INET6 else "192.0.2.1", 9))
            found.append(probe.getsockname()[0])
    except OSError:
        pass  # no route off this computer
    name = socket.gethostname()
    try:
        found += [address[0] for *_, address in socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)]
    except OSError:
        pass
    addresses = []
    for address in dict.fromkeys(found):
        parsed = ipaddress.ip_address(address.split("%")[0])
        if not (parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified):
            addresses.append(f"[{address}]" if ":" in address else address)
    return addresses + ([name.lower()] if name and name.lower() != "localhost" else [])
TOKEN_HEADER = "X-Preview-Token"
TOKEN_PLACEHOLDER = b'<meta name="preview-token" content="">'
MAX_REQUEST_BYTES = 64_000  # a comment of MAX_COMMENT_CHARS characters, each up to 6 bytes escaped in JSON, and more
WRITE_ROUTES = {
    "/comments": {"page", "x_mm", "y_mm", "epoch", "author", "comment"},
    "/comments/reply": {"parent", "author", "comment"},
    "/comments/state": {"id", "state", "author"},
}
"""The only requests that change anything, each with the fields it takes; nothing here names a file."""

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
WEB_HEADERS = SECURITY_HEADERS | {
    # The web edition's page: its own styles (the theme's are in a <style> element), images and fonts, no
    # script; shown in the preview's frame and nowhere else.
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
                               "font-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "X-Frame-Options": "SAMEORIGIN",
}


def interface_words() -> list[str]:
    """Every word the preview page shows, in English: `t("...")` in preview.js, and in index.html the
    text of each element marked data-t and each attribute marked data-t-ATTRIBUTE. The catalogs in
    _builtin/locale translate them (tests/test_preview_tools.py checks that they all do)."""
    script = (STATIC_DIR / "preview.js").read_text(encoding="utf-8")
    found = [json.loads(f'"{text}"') for text in re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', script)]
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for tag in re.findall(r"<[^>]*\bdata-t[^>]*>[^<]*", page):
        attributes, _, content = tag.partition(">")
        if re.search(r"\bdata-t\b(?!-)", attributes) and content.strip():
            found.append(" ".join(content.split()))
        for name in re.findall(r"\bdata-t-([a-z-]+)", attributes):
            value = re.search(rf'\s{name}="([^"]*)"', attributes)
            if value:
                found.append(value.group(1))
    return list(dict.fromkeys(found))


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # A burst of connections waits in the kernel's queue instead of being refused.
    request_queue_size = 128

    def __init__(self, previewer: Previewer, host: str = "127.0.0.1", port: int = 8000, password: str | None = None):
        if host not in LOOPBACK_HOSTS and not password:
            raise ValueError("a preview that listens beyond this computer needs a password")
        self.previewer = previewer
        self.password = password
        self.token = secrets.token_urlsafe(32)
        """Served in the page and required back with every write: only the preview's own page knows it."""
        self.static = {route: ((STATIC_DIR / name).read_bytes(), kind) for route, (name, kind) in STATIC_FILES.items()}
        self.words = interface_words()
        index, kind = self.static["/"]
        assert TOKEN_PLACEHOLDER in index
        self.static["/"] = (index.replace(TOKEN_PLACEHOLDER, f'<meta name="preview-token" content="{self.token}">'
                                          .encode()), kind)
        self.event_streams = threading.BoundedSemaphore(MAX_EVENT_STREAMS)
        super().__init__((host, port), PreviewHandler)
        shown = network_names(host) if host in EVERY_INTERFACE else []
        self.urls = [f"http://{name}:{self.port}/" for name in shown] or [self._url_of(host)]
        """Where colleagues open the preview: for 0.0.0.0, this computer's addresses and name."""
        names = {*LOOPBACK_NAMES, f"[{host}]" if ":" in host else host, *shown}
        self.allowed_hosts = {f"{name}:{self.port}" for name in names}
        self.allowed_origins = {f"http://{host}" for host in self.allowed_hosts}

    @property
    def port(self) -> int:
        return self.server_address[1]

    def handle_error(self, request, client_address) -> None:
        """A browser or tab that goes away mid-request is normal; anything else is one line, not
        the traceback socketserver would print."""
        problem = sys.exc_info()[1]
        if not isinstance(problem, (ConnectionError, TimeoutError)):
            print(f"preview: a request from the browser failed: {problem!r}", file=sys.stderr)

    def _url_of(self, host: str) -> str:
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"

    @property
    def url(self) -> str:
        return self.urls[0]

    def refusal(self, headers) -> str | None:
        """Why a request is not from the preview's own page or address bar, or None."""
        host = (headers.get("Host") or "").lower()
        if host not in self.allowed_hosts:
            return self.say(_("this preview only answers to {url}"), url=self.url)
        origin = headers.get("Origin")
        if origin is not None and origin.lower() not in self.allowed_origins:
            return self.say(_("requests from other web sites are refused"))
        if headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return self.say(_("requests from other web sites are refused"))
        return None

    def authorised(self, headers) -> bool:
        """Whether the request carries the shared password (always true without one)."""
        if self.password is None:
            return True
        kind, _, encoded = (headers.get("Authorization") or "").partition(" ")
        if kind.lower() != "basic":
            return False
        try:
            _, _, given = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(given.encode(), self.password.encode())

    def say(self, message: str, **values: object) -> str:
        """A message of the preview's, in the publication's language (as its page speaks)."""
        edition = self.previewer.snapshot.edition
        return words_for(edition.language if edition else "en")(message, **values)

    def write_refusal(self, headers) -> str | None:
        """Why a request may not change the comments, or None: it must come from the preview's own page."""
        origin = (headers.get("Origin") or "").lower()
        if origin not in self.allowed_origins:
            return self.say(_("comments can only be written from the preview's own page"))
        if not hmac.compare_digest((headers.get(TOKEN_HEADER) or "").encode(), self.token.encode()):
            return self.say(_("this page is from an earlier run of the preview: reload it, then save again"))
        return None


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "publication-preview"
    timeout = 60  # an idle or stalled connection gives its thread back

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's signature
        """Quiet: the terminal is for build messages, not for every page image fetched."""

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        refusal = self.server.refusal(self.headers)
        if refusal:
            return self._send(HTTPStatus.FORBIDDEN, refusal.encode(), "text/plain; charset=utf-8", head=head)
        if not self.server.authorised(self.headers):
            return self._ask_password(head)
        # Routes are matched on the raw path, never decoded or joined to a folder.
        path = self.path.split("?", 1)[0]
        if path in self.server.static:
            body, kind = self.server.static[path]
            return self._send(HTTPStatus.OK, body, kind, head=head)
        if path == "/state.json":
            state = json.dumps(self.server.previewer.snapshot.to_json()).encode()
            return self._send(HTTPStatus.OK, state, "application/json", head=head)
        if path == "/events" and not head:
            return self._stream_events()
        if path == "/comments.json":
            return self._send_comments(head)
        language = LANGUAGE_ROUTE.fullmatch(path)
        if language:
            words = words_for(language.group(1))
            body = json.dumps({english: words(english) for english in self.server.words}, ensure_ascii=False)
            return self._send(HTTPStatus.OK, body.encode(), "application/json; charset=utf-8", head=head,
                              cache="private, max-age=3600")
        words = WORDS_ROUTE.fullmatch(path)
        found = words and self.server.previewer.words(words.group(1))
        if found is not None and words:
            return self._send(HTTPStatus.OK, json.dumps(found).encode(), "application/json", head=head,
                              cache="private, max-age=86400, immutable")
        if path.startswith(WEB_ROUTE):
            return self._send_web(path.removeprefix(WEB_ROUTE), head)
        page = PAGE_ROUTE.fullmatch(path)
        png = page and self.server.previewer.page_png(page.group(1), zoomed=bool(page.group(2)))
        if png:
            # A page image is named by its content, so the browser may keep it for good.
            return self._send(HTTPStatus.OK, png, "image/png", head=head, cache="private, max-age=86400, immutable")
        return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8", head=head)

    def do_POST(self) -> None:
        """A new comment, a reply, or a comment resolved or opened again: nothing else can be written."""
        refusal = self.server.refusal(self.headers)
        if refusal:
            return self._refuse(HTTPStatus.FORBIDDEN, refusal)
        if not self.server.authorised(self.headers):
            self.close_connection = True
            return self._ask_password(False)
        refusal = self.server.write_refusal(self.headers)
        if refusal:
            return self._refuse(HTTPStatus.FORBIDDEN, refusal)
        if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            return self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, self.server.say(_("send the comment as JSON")))
        fields = WRITE_ROUTES.get(self.path)  # the raw path: a query (?file=...) matches no route
        if fields is None:
            return self._refuse(HTTPStatus.NOT_FOUND,
                                self.server.say(_("comments are written to /comments only, and no file can be named")))
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, self.server.say(_("the request has no length")))
        if not 0 < length <= MAX_REQUEST_BYTES:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, self.server.say(
                _("the request is {length} bytes long; a comment is at most a few thousand characters"), length=length))
        try:
            data = json.loads(self.rfile.read(length))
        except (ValueError, RecursionError):
            return self._refuse(HTTPStatus.BAD_REQUEST, self.server.say(_("the request is not JSON")))
        if not isinstance(data, dict):
            return self._refuse(HTTPStatus.BAD_REQUEST, self.server.say(_("the request is not a JSON object")))
        unexpected = sorted(set(data) - fields)
        if unexpected:
            return self._refuse(HTTPStatus.BAD_REQUEST, self.server.say(
                _("unexpected field '{field}': the preview writes only review/comments.yml"), field=unexpected[0]))
        try:
            entry = self._write(self.path, data)
        except ReviewRefused as refused:
            return self._refuse(HTTPStatus(refused.status), self.server.say(refused.template, **refused.values))
        except BuildFailed as failed:
            return self._refuse(HTTPStatus.CONFLICT, "; ".join(str(problem) for problem in failed.problems))
        self.server.previewer.review_changed()
        self._send(HTTPStatus.CREATED, json.dumps(entry).encode(), "application/json")

    def _write(self, route: str, data: dict) -> dict:
        root = self.server.previewer.root
        if route == "/comments":
            page, x, y, epoch = (data.get(name) for name in ("page", "x_mm", "y_mm", "epoch"))
            if not (type(page) is int and all(type(v) in (int, float) for v in (x, y))
                    and (epoch is None or isinstance(epoch, int))):
                raise ReviewRefused(400, _("a comment needs its page and its place on the page"))
            place = self.server.previewer.place(page, float(x), float(y), epoch)
            return add_comment(root, place, data.get("author"), data.get("comment"))
        if route == "/comments/reply":
            return add_reply(root, data.get("parent"), data.get("author"), data.get("comment"))
        return set_state(root, data.get("id"), data.get("state"), data.get("author"))

    def _send_web(self, name: str, head: bool) -> None:
        """A file of the last build's web edition, by the name the build gave it; nothing is read from disk."""
        edition = self.server.previewer.snapshot.edition
        files = edition.web if edition else {}
        if name == "":
            name = "index.html"
        # The name is looked up as it came, never decoded or joined to a folder: `..`, `%2e%2e`, `/x` are not in it.
        data = None if ".." in name or name.startswith("/") or "\\" in name else files.get(name)
        if data is None:
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8", head=head)
        kind = WEB_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
        self._send(HTTPStatus.OK, data, kind, head=head, headers=WEB_HEADERS)

    def _send_comments(self, head: bool) -> None:
        try:
            found = {"comments": read_entries(self.server.previewer.root), "problem": None}
        except BuildFailed as failed:
            found = {"comments": [], "problem": "; ".join(str(problem) for problem in failed.problems)}
        self._send(HTTPStatus.OK, json.dumps(found, default=str).encode(), "application/json", head=head)

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self.close_connection = True  # an unread body must not be taken for the next request
        self._send(status, message.encode(), "text/plain; charset=utf-8")

    def _ask_password(self, head: bool) -> None:
        self._headers(HTTPStatus.UNAUTHORIZED, "text/plain; charset=utf-8", "no-store")
        self.send_header("WWW-Authenticate", 'Basic realm="publication preview", charset="UTF-8"')
        body = self.server.say(_("this preview asks for the password it printed when it started")).encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _headers(self, status: HTTPStatus, kind: str, cache: str, headers: dict[str, str] = SECURITY_HEADERS) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", cache)
        for name, value in headers.items():
            self.send_header(name, value)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, head: bool = False, cache: str = "no-store",
              headers: dict[str, str] = SECURITY_HEADERS) -> None:
        self._headers(status, kind, cache, headers)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _stream_events(self) -> None:
        """Server-sent events: the full state at once, then again on every change."""
        if not self.server.event_streams.acquire(blocking=False):
            return self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"too many open previews", "text/plain; charset=utf-8")
        try:
            self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8", "no-store")
            self.end_headers()
            previewer, seen = self.server.previewer, -1
            while not previewer.stopping:
                snapshot = previewer.wait_for_change(seen, timeout=HEARTBEAT_SECONDS)
                if snapshot.version == seen:
                    message = ": still here\n\n"  # a comment; it tells a closed tab from an open one
                else:
                    seen = snapshot.version
                    message = f"id: {seen}\nevent: state\ndata: {json.dumps(snapshot.to_json())}\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the tab was closed
        finally:
            self.server.event_streams.release()


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000,
          on_ready: Callable[[list[str]], None] | None = None, password: str | None = None) -> None:
    """Run the preview until Ctrl-C; `on_ready` is given the addresses it can be opened at."""
    previewer = Previewer(root)
    server = PreviewServer(previewer, host, port, password)
    try:
        previewer.start()
        if on_ready:
            on_ready(server.urls)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        previewer.stop()
        server.server_close()
