"""The editor's view: VS Code's YAML engine (yaml-language-server) reads the schema line in a
new publication.yml and reports mistakes as the user types. setup.sh installs the server into
.cache/tools; without it the test is skipped, except in CI (env CI set), where it fails."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO

from publication.commands.new import create_project

SERVER = next((path for path in (REPO / ".cache" / "tools" / "node_modules" / ".bin" / "yaml-language-server",
                                 shutil.which("yaml-language-server") and Path(shutil.which("yaml-language-server")))
               if path and Path(path).is_file()), None)
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
pytestmark = pytest.mark.skipif(SERVER is None and not IN_CI,
                                reason="yaml-language-server is not installed (setup.sh installs it)")


class LanguageServer:
    """Just enough of the Language Server Protocol to open a file and read its diagnostics."""

    def __init__(self, root: Path):
        assert SERVER is not None, "yaml-language-server is not installed: ./setup.sh installs it into .cache/tools"
        self.process = subprocess.Popen([str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.request(1, "initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                       "capabilities": {"workspace": {"configuration": True}}})
        while self.receive(10).get("id") != 1:
            pass
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration",
                    {"settings": {"yaml": {"validate": True, "schemaStore": {"enable": False}}}})

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def request(self, number: int, method: str, params: dict) -> None:
        self.send({"id": number, "method": method, "params": params})

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def receive(self, timeout: float) -> dict:
        if not select.select([self.process.stdout], [], [], timeout)[0]:
            return {}
        length = 0
        while (line := self.process.stdout.readline().strip()):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def diagnostics(self, path: Path, text: str, settle: float = 2.5) -> list[dict]:
        """The last diagnostics published for `path` once the server has been quiet for `settle` s."""
        self.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "yaml",
                                                              "version": 1, "text": text}})
        found: list[dict] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (message := self.receive(settle)):
            if message.get("method") == "workspace/configuration":
                self.send({"id": message["id"], "result": [{"validate": True}] * len(message["params"]["items"])})
            elif (message.get("method") == "textDocument/publishDiagnostics"
                  and message["params"]["uri"] == path.as_uri()):
                found = message["params"]["diagnostics"]
        return found

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def test_editor_accepts_the_new_publication_yml_and_flags_each_mistake_on_its_line(tmp_path):
    create_project(tmp_path / "p", language="nl")
    path = tmp_path / "p" / "content" / "publication.yml"
    text = path.read_text(encoding="utf-8")
    broken = (text.replace("publisher: Naam van de organisatie", "uitgever: Naam van de organisatie", 1)
              .replace("  size: A4", "  size: A3", 1))
    lines = broken.splitlines()
    server = LanguageServer(tmp_path / "p")
    try:
        assert server.diagnostics(path, text) == []
        found = server.diagnostics(path.with_name("broken.yml"), broken)
    finally:
        server.close()
    by_line = {d["range"]["start"]["line"] + 1: d["message"] for d in found}
    assert any("uitgever" in message and "not allowed" in message for message in by_line.values()), by_line
    assert lines[next(n for n in by_line if "uitgever" in by_line[n]) - 1].startswith("uitgever:")
    assert any("A4" in message and "A5" in message for message in by_line.values()), by_line
    assert any("publisher" in message for message in by_line.values()), by_line
