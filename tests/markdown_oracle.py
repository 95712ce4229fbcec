"""Pandoc as the oracle: the words a reader sees in our HTML and in `pandoc -f markdown -t html5`."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

QUOTES = "\"'“”„‘’‚«»‹›"
SPACES = "\u00a0\u202f\u2009\u2007"
# Pandoc's own furniture around footnotes: the number at the call and the link back from the note.
PANDOC_FURNITURE = re.compile(
    r'<a\s+href="#fn\d+"[^>]*class="footnote-ref"[^>]*>.*?</a>|<a\s+href="#fnref\d+"[^>]*class="footnote-back"[^>]*>.*?</a>',
    re.S,
)


class _Text(HTMLParser):
    """The visible text, block by block; our notes (which float away from their call) go to the
    end, where pandoc puts its notes."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "br", "div", "figcaption",
              "blockquote", "pre", "tr", "caption", "aside", "section", "footer", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.notes: list[str] = []
        self.spans: list[bool] = []  # for each open span: whether it is a note

    def out(self) -> list[str]:
        return self.notes if any(self.spans) else self.parts

    def handle_starttag(self, tag, attrs):
        if tag == "span":
            note = ("class", "footnote") in attrs
            if note and not any(self.spans):
                self.notes.append(" ")
            self.spans.append(note)
        if tag in self.BLOCKS:
            self.out().append(" ")

    def handle_endtag(self, tag):
        if tag == "span" and self.spans:
            self.spans.pop()
        if tag in self.BLOCKS:
            self.out().append(" ")

    def handle_data(self, data):
        self.out().append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts) + " " + "".join(parser.notes)


def words(html: str, pandoc: bool = False) -> Counter:
    """The words of `html`, with the deliberate typographic differences (quotes, dashes, spaces) taken out."""
    if pandoc:
        html = PANDOC_FURNITURE.sub("", html)
    text = visible_text(html)
    text = text.translate({ord(c): None for c in QUOTES}).translate({ord(c): " " for c in SPACES})
    text = text.replace("...", "…").replace("\u200b", "")  # a break opportunity in an address, not a letter
    text = re.sub(r"[–—]", " ", text)
    return Counter(word for word in text.split() if word not in ("-",))


def pandoc_html(text: str) -> str:
    return subprocess.run(["pandoc", "-f", "markdown", "-t", "html5"], input=text, capture_output=True,
                          text=True, check=True).stdout


def pandoc_all(texts: list[str]) -> list[str]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(pandoc_html, texts))


def difference(ours: Counter, theirs: Counter) -> str:
    lost = theirs - ours
    extra = ours - theirs
    return "; ".join(part for part in (f"lost {sorted(lost.elements())}" if lost else "",
                                       f"extra {sorted(extra.elements())}" if extra else "") if part)
