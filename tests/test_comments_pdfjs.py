"""A reviewer annotates a proof with a real PDF reader's editor: Mozilla's pdf.js (npm pdfjs-dist, as
Firefox uses it) in Debian's Chromium, saved with pdf.js's own save. `publication comments` must
tie each annotation to the right file and line."""

from __future__ import annotations

import base64
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from conftest import REPO
from playwright.sync_api import sync_playwright
from test_comments import ARTICLE, _place_of, _unique_word, proof  # noqa: F401 - the module's proof fixture

from publication.commands.comments import collect

PDFJS = REPO / ".cache" / "tools" / "node_modules" / "pdfjs-dist"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
pytestmark = pytest.mark.skipif(not PDFJS.is_dir() and not IN_CI, reason="./setup.sh installs pdfjs-dist")
WAIT_MS = 120_000

VIEWER = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/node_modules/pdfjs-dist/web/pdf_viewer.css">
<style>#viewerContainer { position: absolute; inset: 0; overflow: auto; }</style></head>
<body><div id="viewerContainer"><div id="viewer" class="pdfViewer"></div></div>
<script type="module">
await import("/node_modules/pdfjs-dist/build/pdf.mjs");
const viewerLib = await import("/node_modules/pdfjs-dist/web/pdf_viewer.mjs");
const { getDocument, GlobalWorkerOptions, AnnotationEditorType } = globalThis.pdfjsLib;
GlobalWorkerOptions.workerSrc = "/node_modules/pdfjs-dist/build/pdf.worker.mjs";
const eventBus = new viewerLib.EventBus();
const linkService = new viewerLib.PDFLinkService({ eventBus });
let uiManager = null;
eventBus.on("annotationeditoruimanager", ({ uiManager: manager }) => { uiManager = manager; });
const viewer = new viewerLib.PDFViewer({
  container: document.getElementById("viewerContainer"), eventBus, linkService,
  annotationEditorMode: AnnotationEditorType.NONE,
  annotationEditorHighlightColors: "yellow=#FFFF98,green=#53FFBC,blue=#80EBFF,pink=#FFCBE6,red=#FF4F5F",
});
linkService.setViewer(viewer);
eventBus.on("pagesloaded", () => { window.pagesLoaded = true; });
const pdf = await getDocument("/proof.pdf").promise;
viewer.setDocument(pdf);
linkService.setDocument(pdf);
window.app = { viewer, eventBus, pdf, AnnotationEditorType, get uiManager() { return uiManager; } };
</script></body></html>
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript"}

    def log_message(self, *args) -> None:
        pass


def _set_mode(page, mode: str) -> None:
    page.evaluate("""mode => new Promise(resolve => {
        app.eventBus.on("annotationeditormodechanged", resolve, { once: true });
        app.viewer.annotationEditorMode = { mode: app.AnnotationEditorType[mode] };
    })""", mode)


def test_comments_made_in_pdfjs_map_to_their_lines(proof, tmp_path):  # noqa: F811 - the fixture
    assert PDFJS.is_dir(), "pdfjs-dist is missing: ./setup.sh installs it into .cache/tools"
    root, original = proof
    word, line = _unique_word(root)
    page_number, _ = _place_of(original, word)
    site = tmp_path / "site"
    (site / "node_modules").mkdir(parents=True)
    (site / "node_modules" / "pdfjs-dist").symlink_to(PDFJS)
    shutil.copy(original, site / "proof.pdf")
    (site / "index.html").write_text(VIEWER, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            page.wait_for_function("window.pagesLoaded && window.app && app.uiManager")
            page.evaluate("n => { app.viewer.currentPageNumber = n; }", page_number)
            span = page.locator(f'.page[data-page-number="{page_number}"] .textLayer span', has_text=word).first
            span.wait_for()

            # A highlight on the word, with a comment on it.
            _set_mode(page, "HIGHLIGHT")
            page.evaluate("""([word, n]) => {
                const layer = document.querySelector(`.page[data-page-number="${n}"] .textLayer`);
                const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
                let node;
                while ((node = walker.nextNode())) {
                    const at = node.data.indexOf(word);
                    if (at >= 0) {
                        const range = document.createRange();
                        range.setStart(node, at);
                        range.setEnd(node, at + word.length);
                        const selection = document.getSelection();
                        selection.removeAllRanges();
                        selection.addRange(range);
                        app.uiManager.highlightSelection();
                        return;
                    }
                }
                throw new Error("word not in the text layer");
            }""", [word, page_number])
            page.wait_for_function("n => [...app.uiManager.getEditors(n - 1)].length >= 1", arg=page_number)
            page.evaluate("""n => { const [editor] = [...app.uiManager.getEditors(n - 1)];
                                    editor.comment = "Is dit het goede woord?"; }""", page_number)

            # A free-text note typed just left of the same word's line.
            _set_mode(page, "FREETEXT")
            box = span.bounding_box()
            layer = page.locator(f'.page[data-page-number="{page_number}"] .annotationEditorLayer')
            layer_box = layer.bounding_box()
            page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
            # pdf.js focuses the new note's text field a moment after the click; keys typed
            # before that land elsewhere (CI once got "een komma?H").
            page.wait_for_function(
                "document.activeElement?.matches('.freeTextEditor .internal[contenteditable=true]')")
            page.keyboard.type("Hier een komma?")
            page.wait_for_function(
                "document.activeElement?.textContent === 'Hier een komma?'")
            page.keyboard.press("Escape")
            _set_mode(page, "NONE")
            assert layer_box is not None

            saved = page.evaluate("""async () => {
                app.uiManager.commitOrRemove?.();
                const bytes = await app.pdf.saveDocument();
                return bytes.toBase64();
            }""")
            browser.close()
    finally:
        server.shutdown()
    annotated = tmp_path / "annotated.pdf"
    annotated.write_bytes(base64.b64decode(saved))

    found = collect([annotated], root)
    highlight = next(comment for comment in found if comment.kind == "highlight")
    assert (highlight.file, highlight.line, highlight.page) == (ARTICLE, line, page_number)
    assert highlight.quoted == word and highlight.comment == "Is dit het goede woord?"
    note = next(comment for comment in found if comment.kind == "free text")
    assert (note.file, note.line, note.page) == (ARTICLE, line, page_number)
    assert note.comment == "Hier een komma?"
