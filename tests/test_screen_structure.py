"""The screen PDF's structure tree as a screen reader walks it: heading levels, articles, paragraphs,
the text in the order of the source, footnotes, pull quotes, the colofon's labels, artifacts.

The sample's screen PDF is read once (poppler's `pdfinfo -struct-text`, in tree order) and
compared with the sources: the publication title, the article titles and the Markdown headings,
and the text of every article as the HTML it was typeset from has it; so are the screen PDFs of
the two other publications the tests keep (conftest.py: annual_report, leaflet).
"""

from __future__ import annotations

import html as html_module
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from conftest import copy_sample
from helpers import structure_tree
from test_screen import compact, structure_elements

from publication.commands.build import BuildOptions, build

SENTENCE_END = tuple(".?!:;”’\"')…")


def structure(path: Path) -> list[tuple[str, tuple[str, ...], str]]:
    """(tag, tags of its ancestors, text within) for every element of the structure tree, in order."""
    return structure_tree(path)[0]


@pytest.fixture(scope="module")
def tree(sample_build):
    return structure(sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf")


def source_headings(sample_build) -> list[tuple[int, str]]:
    """The publication title (1), then per article its title (2) and its Markdown headings ('##' is 3)."""
    project = sample_build.project
    found = [(1, project.config.title)]
    for article in project.articles:
        found.append((2, article.front.title))
        for hashes, text in re.findall(r"^(#{2,4})\s+(.+?)\s*(?:\{[^}]*\})?\s*$", article.body, flags=re.M):
            found.append((len(hashes) + 1, text))
    return found


def test_heading_levels_follow_the_source(tree, sample_build):
    headings = [(int(tag[1]), text) for tag, _, text in tree if re.fullmatch(r"H[1-6]", tag)]
    assert [level for level, _ in headings].count(1) == 1, headings
    assert headings[0] == (1, sample_build.project.config.title), "the title on the cover is the one H1"
    for (previous, _), (level, text) in zip(headings, headings[1:]):
        assert level <= previous + 1, f"heading level jumps from H{previous} to H{level} at {text!r}"
    # The colofon's heading (H2) comes from the layout, not from an article.
    from_articles = [(level, compact(text)) for level, text in headings[:-1]]
    assert from_articles == [(level, compact(text)) for level, text in source_headings(sample_build)]
    assert headings[-1][0] == 2


def test_one_art_per_article(tree, sample_build):
    articles = [text for tag, _, text in tree if tag == "Art"]
    titles = [article.front.title for article in sample_build.project.articles]
    assert len(articles) == len(titles) == 4
    for text, title in zip(articles, titles):
        assert compact(title) in compact(text)
    assert not any("Art" in ancestors for tag, ancestors, _ in tree if tag == "Art")


def test_no_paragraph_of_an_article_ends_mid_sentence(tree):
    """The sample breaks a paragraph between pages 3 and 4 ('...en in' | 'welke tijd.'): one P."""
    paragraphs = [text.strip() for tag, ancestors, text in tree
                  if tag == "P" and "Art" in ancestors and "Div" in ancestors
                  and not {"Caption", "Figure", "BlockQuote", "NonStruct"} & set(ancestors)]
    assert len(paragraphs) > 20
    cut = [text[-40:] for text in paragraphs if not text.endswith(SENTENCE_END)]
    assert not cut, f"paragraphs cut mid-sentence: {cut}"


MORE_NOTES = """

## Noten op één pagina[^kop]

- Een punt met een noot.[^lijst]
- Nog een punt.

Een zin met twee noten[^twee] en een losse.^[Een losse noot.]

[^kop]: Een noot bij de kop.

[^lijst]: Een noot in een lijst.

[^twee]: De eerste van twee noten.
"""


@pytest.fixture(scope="module")
def long_table_screen(tmp_path_factory) -> Path:
    """The sample with a table of 70 rows at the end of the last article: it runs over two pages; and
    after it four footnotes on one page: in a heading, a list item, twice in one paragraph."""
    root = copy_sample(tmp_path_factory.mktemp("long-table"))
    last = sorted((root / "content").glob("*.md"))[-1]
    rows = "".join(f"| Rij {number} | {number * 100} | {number * 3} |\n" for number in range(1, 70))
    last.write_text(last.read_text(encoding="utf-8") + "\n\n| Naam | Aantal | Raad |\n|---|--:|--:|\n" + rows
                    + MORE_NOTES, encoding="utf-8")
    result = build(root, BuildOptions(targets=("screen",)))
    return result.project.dist_dir / f"{result.project.slug}-screen.pdf"


def test_a_table_over_two_pages_is_one_table_with_its_header_read_once(long_table_screen):
    listing = subprocess.run(["pdftotext", str(long_table_screen), "-"], capture_output=True, text=True,
                             check=True).stdout.split("\f")
    pages = [number for number, text in enumerate(listing) if "Rij " in text]
    assert len(pages) == 2 and all("Naam" in listing[number] for number in pages), "the header repeats on each page"
    tree = structure(long_table_screen)
    assert [tag for tag, _, _ in tree].count("Table") == 1
    assert [tag for tag, _, _ in tree].count("THead") == 1
    assert [text.split().count("Naam") for tag, _, text in tree if tag == "Table"] == [1]
    with pikepdf.open(long_table_screen) as pdf:
        elements = structure_elements(pdf)
        ids = {bytes(element.ID) for _, element, _ in elements if "/ID" in element}
        named = [bytes(header) for tag, element, _ in elements if tag == "/TD"
                 for header in element.A.Headers]
    assert len(named) == 69 * 3 and set(named) <= ids, "every cell names header cells that are in the tree"


# ---- Reading order -------------------------------------------------------------------------------

# Elements whose start or end ends a run of text: a paragraph, a heading, a caption, a cell.
TEXT_BOUNDARIES = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "figcaption", "th", "td", "caption",
                   "footer", "header", "blockquote", "aside", "figure", "div", "section", "ul", "ol", "dl",
                   "table", "tr", "article"}


class _ArticleTexts(HTMLParser):
    """Per `<article>` of an HTML page, its runs of text in source order: one per paragraph,
    heading, caption, list item or cell; a footnote (`span.footnote`) is a run of its own."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.articles: list[list[str]] = []
        self.run: list[str] = []
        self.inside = False
        self.spans: list[bool] = []  # the open spans: is it a footnote?

    def flush(self) -> None:
        if self.inside and "".join(self.run).strip():
            self.articles[-1].append("".join(self.run))
        self.run = []

    def handle_starttag(self, tag, attrs):
        footnote = tag == "span" and "footnote" in (dict(attrs).get("class") or "").split()
        if tag in TEXT_BOUNDARIES or footnote:
            self.flush()
        if tag == "article":
            self.inside = True
            self.articles.append([])
        if tag == "span":
            self.spans.append(footnote)

    def handle_endtag(self, tag):
        if tag in TEXT_BOUNDARIES or (tag == "span" and self.spans and self.spans.pop()):
            self.flush()
        if tag == "article":
            self.inside = False

    def handle_data(self, data):
        self.run.append(data)


def article_texts(html: str) -> list[list[str]]:
    parser = _ArticleTexts()
    parser.feed(html)
    parser.close()
    return parser.articles


def reading_form(text: str) -> str:
    """Text as both a source and poppler's reading of a PDF give it: without spacing, hyphens (soft,
    hard, at line ends), the stylesheet's case and its separators (·), with one kind of quote."""
    text = html_module.unescape(text).casefold()
    text = re.sub(r"[“”„‟″«»\"]", '"', text)
    text = re.sub(r"[‘’‚‛′']", "'", text)
    return re.sub(r"[\s\-\u00ad\u2010\u2011·]", "", text)


def assert_articles_read_in_source_order(screen_pdf: Path, html: str) -> None:
    """Every run of text of every article is in its Art element, in the source's order, none
    missing and none doubled; the Art elements in the order of the articles."""
    sources = article_texts(html)
    arts = [reading_form(text) for tag, _, text in structure(screen_pdf) if tag == "Art"]
    assert len(arts) == len(sources) > 0
    for number, (runs, read) in enumerate(zip(sources, arts), start=1):
        runs = [reading_form(run) for run in runs]
        assert len(runs) > 3, runs
        written = "".join(runs)
        position = 0
        for run in runs:
            found = read.find(run, position)
            assert found >= 0, (f"article {number}: not read after what comes before it in the source: {run[:80]!r}"
                                f" (read {'nowhere' if run not in read else 'earlier'})")
            position = found + len(run)
            if len(run) > 12:
                assert read.count(run) == written.count(run), f"article {number}: read twice: {run[:80]!r}"


def test_the_articles_are_read_in_the_order_of_the_source(sample_build):
    """Two-column pages with photos across the columns (articles 3 and 4), a paragraph over a page
    break, a footnote at the foot of page 4: read in the order they are written."""
    assert_articles_read_in_source_order(sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf",
                                         sample_build.renditions[0].html)


@pytest.mark.parametrize("name", ["annual_report", "leaflet"])
def test_the_other_publications_are_read_in_the_order_of_their_source(name, request):
    built = request.getfixturevalue(name)
    assert_articles_read_in_source_order(built.pdf("-screen"), built.result.renditions[0].html)


def test_the_tree_holds_the_pages_and_articles_only_and_a_footnote_is_read_where_it_is_called(tree):
    """WeasyPrint tags the footnote area of page 4 as an element of its own, between two articles."""
    assert {tag for tag, ancestors, _ in tree if ancestors == ("Document",)} <= {"Sect", "Art"}
    notes = [(ancestors, text) for tag, ancestors, text in tree if tag == "Note"]
    assert len(notes) == 1 and notes[0][0][-1] == "P" and "Art" in notes[0][0], notes
    calling = [text for tag, _, text in tree if tag == "P" and notes[0][1] in text]
    assert len(calling) == 1
    assert compact(calling[0]).index(compact("directeur ELLLA,1")) < compact(calling[0]).index(compact(notes[0][1]))


# ---- Pull quotes, the colofon, artifacts -----------------------------------------------------------

def test_pull_quotes_are_block_quotes_with_their_attribution(tree, annual_report):
    written = "".join(path.read_text(encoding="utf-8")
                      for path in sorted((annual_report.result.project.root / "content").glob("*.md")))
    attributions = re.findall(r"^::: *\{[^}]*\.pullquote[^}]*by=\"([^\"]+)\"", written, flags=re.M)
    assert attributions
    report = structure(annual_report.pdf("-screen"))
    quotes = [(ancestors, text) for tag, ancestors, text in report if tag == "BlockQuote"]
    assert len(quotes) == len(re.findall(r"^::: *\{[^}]*\.pullquote", written, flags=re.M))
    for by in attributions:
        holding = [text for _, text in quotes if compact(by) in compact(text)]
        assert len(holding) == 1, f"the attribution {by!r} is not inside its BlockQuote"
        parts = [(tag, ancestors[-1:]) for tag, ancestors, text in report if compact(by) in compact(text)]
        assert ("P", ("BlockQuote",)) in parts, parts
    # No wrapper around a quote: a BlockQuote in the flow of its article or box (the sample's eight too).
    for quotes_of in (quotes, [(ancestors, text) for tag, ancestors, text in tree if tag == "BlockQuote"]):
        assert all(ancestors[-1] in ("Div", "Sect") for ancestors, _ in quotes_of), quotes_of


def colofon_lines(html: str) -> list[tuple[str, str]]:
    html = html.replace("\u200b", "")  # the break points in an address: not in the PDF's text
    found = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", html, flags=re.S)
    return [(html_module.unescape(term).strip(), re.sub(r"<[^>]+>", " ", html_module.unescape(text)))
            for term, text in found]


@pytest.mark.parametrize("name", ["sample_build", "annual_report"])
def test_the_colofon_is_a_list_of_labelled_items(name, request):
    built = request.getfixturevalue(name)
    result = built if name == "sample_build" else built.result
    lines = colofon_lines(result.renditions[0].html)
    assert len(lines) >= 4
    listing = structure_tree(result.project.dist_dir / f"{result.project.slug}-screen.pdf")[0]
    lists = [index for index, (tag, _, text) in enumerate(listing)
             if tag == "L" and all(compact(term) in compact(text) for term, _ in lines)]
    assert len(lists) == 1
    start, depth = lists[0], len(listing[lists[0]][1])
    items = []
    for tag, ancestors, text in listing[start + 1:]:
        if len(ancestors) <= depth:
            break
        if len(ancestors) == depth + 1:
            assert tag == "LI", tag
            items.append([])
        elif len(ancestors) == depth + 2:
            items[-1].append((tag, text))
    assert [[tag for tag, _ in item] for item in items] == [["Lbl", "LBody"]] * len(lines)
    for item, (term, text) in zip(items, lines):
        assert compact(item[0][1]) == compact(term)
        assert compact(item[1][1]) == compact(text)


PAINTING = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "Do", "Tj", "TJ", "'", '"', "BI"}


def untagged_and_artifact_paint(pdf: pikepdf.Pdf) -> tuple[list[tuple[int, str]], dict[str, int]]:
    """What each page paints outside marked content or in content marked for an element that is not in
    the structure tree (page, operator); and how many of each painting operator are artifacts."""
    reachable = {element.objgen for _, element, _ in structure_elements(pdf)}
    parent_tree = dict(zip(*[iter(pdf.Root.StructTreeRoot.ParentTree.Nums)] * 2))
    untagged, artifacts = [], {}
    for number, page in enumerate(pdf.pages, start=1):
        elements = parent_tree.get(int(page.obj.get("/StructParents", -1)))
        marks: list[str] = []  # "artifact", "tagged" or "lost", innermost last
        for operands, operator in pikepdf.parse_content_stream(page):
            operator = str(operator)
            if operator in ("BMC", "BDC"):
                properties = operands[1] if operator == "BDC" else None
                if str(operands[0]) == "/Artifact":
                    marks.append("artifact")
                elif isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
                    element = elements[int(properties.MCID)] if elements is not None else None
                    marks.append("tagged" if isinstance(element, pikepdf.Dictionary)
                                 and element.objgen in reachable else "lost")
                else:
                    marks.append(marks[-1] if marks else "lost")
            elif operator == "EMC":
                marks.pop()
            elif operator in PAINTING:
                if "artifact" in marks:
                    artifacts[operator] = artifacts.get(operator, 0) + 1
                elif not marks or marks[-1] == "lost":
                    untagged.append((number, operator))
    return untagged, artifacts


def test_rules_folios_and_running_heads_are_artifacts_and_nothing_is_untagged(sample_build, annual_report, leaflet):
    """The rules around pull quotes and boxes, page backgrounds, folios and running heads: artifacts;
    everything else painted belongs to an element of the tree."""
    for screen_pdf in (sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf",
                       annual_report.pdf("-screen"), leaflet.pdf("-screen")):
        with pikepdf.open(screen_pdf) as pdf:
            untagged, artifacts = untagged_and_artifact_paint(pdf)
        assert untagged == [], f"{screen_pdf.name}: painted outside the tree and not an artifact: {untagged[:10]}"
        assert artifacts.get("TJ", 0) >= 2 and artifacts.get("f*", 0) + artifacts.get("f", 0) >= 4, artifacts


def test_notes_in_a_heading_a_list_and_twice_in_a_paragraph_are_read_at_their_calls(long_table_screen):
    tree = structure(long_table_screen)
    assert {tag for tag, ancestors, _ in tree if ancestors == ("Document",)} <= {"Sect", "Art"}
    notes = [(ancestors[-1], " ".join(text.split())) for tag, ancestors, text in tree if tag == "Note"]
    wanted = {"Een noot bij de kop.": "H3", "Een noot in een lijst.": "LBody",
              "De eerste van twee noten.": "P", "Een losse noot.": "P"}
    assert sorted(text.split(" ", 1)[1] for _, text in notes if text.split(" ", 1)[1] in wanted) == sorted(wanted)
    for holder, text in notes:
        if text.split(" ", 1)[1] in wanted:
            assert holder == wanted[text.split(" ", 1)[1]], (holder, text)
    paragraph = next(compact(text) for tag, _, text in tree if tag == "P" and "twee noten" in text)
    order = [paragraph.index(compact(part)) for part in
             ("Een zin met twee noten", "De eerste van twee noten.", "en een losse.", "Een losse noot.")]
    assert order == sorted(order), paragraph


# ---- Photos with their captions, footnote numbers ------------------------------------------------

def test_a_photo_and_its_caption_are_one_group_with_the_photo_first(sample_build):
    """A `<figure>` was a NonStruct (read as nothing) around the Figure and its Caption: a Div now."""
    captions_in_source = len(re.findall(r"<figcaption\b", sample_build.renditions[0].html))
    assert captions_in_source >= 4
    with pikepdf.open(sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf") as pdf:
        elements = structure_elements(pdf)
        captions = [element for tag, element, _ in elements if tag == "/Caption"]
        assert len(captions) == captions_in_source
        for caption in captions:
            group = caption.P
            kids = list(group.K)
            assert group.S == "/Div" and len(kids) == 2, (group.S, len(kids))
            assert kids[0].S == "/Figure" and len(str(kids[0].Alt)) > 5 and kids[1].objgen == caption.objgen
        figures = [(element, ancestors) for tag, element, ancestors in elements if tag == "/Figure"]
        assert all("/Alt" in figure for figure, _ in figures)
        assert not any(ancestors[-1] == "/NonStruct" for _, ancestors in figures)


def test_a_footnote_call_is_a_reference_and_the_note_number_its_label(tree, long_table_screen):
    for listing in (tree, structure(long_table_screen)):
        notes = [index for index, (tag, _, _) in enumerate(listing) if tag == "Note"]
        assert notes
        for index in notes:
            note_depth = len(listing[index][1])
            label = listing[index + 1]
            assert label[0] == "Lbl" and len(label[1]) == note_depth + 1, label
            assert re.fullmatch(r"\s*\d+\.\s*", label[2]), label
            # The call: a Reference just before the note in the same parent (a note in two parts: one call).
            before = [entry for entry in listing[:index] if len(entry[1]) == note_depth][-1]
            assert before[0] in ("Reference", "Note"), before
            if before[0] == "Reference":
                assert before[2].strip() == label[2].strip().rstrip("."), (before, label)
        references = [text for tag, _, text in listing if tag == "Reference"]
        labels = [text for tag, _, text in listing if tag == "Lbl" and text.strip()[:-1].isdigit()]
        assert len(references) == len(labels)
        # No digit is left in a NonStruct of its own in a paragraph.
        assert not [text for tag, ancestors, text in listing
                    if tag == "NonStruct" and ancestors[-1:] == ("P",) and text.strip().isdigit()]


# ---- What a PDF/UA checker would check (no veraPDF here: no Java) ---------------------------------

def marked_content_ids(pdf: pikepdf.Pdf) -> dict[tuple[int, int], list[int]]:
    """For each page (by object), the MCIDs its content marks, in order."""
    found = {}
    for page in pdf.pages:
        found[page.obj.objgen] = [int(operands[1].MCID) for operands, operator in pikepdf.parse_content_stream(page)
                                  if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary)
                                  and "/MCID" in operands[1]]
    return found


def test_pages_mcids_parent_tree_languages_and_alt_texts_agree(sample_build):
    """Every MCID an element names is marked on the page it names (/Pg), once, and the parent tree names
    that element for it; no marked content is claimed by two elements; qpdf finds nothing wrong; the
    catalog has the publication's language, a `{lang=en}` span its own (/Lang en); every Figure has /Alt."""
    screen_pdf = sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf"
    checked = subprocess.run(["qpdf", "--check", str(screen_pdf)], capture_output=True, text=True)
    assert checked.returncode == 0 and "No syntax or stream encoding errors" in checked.stdout, checked.stdout
    with pikepdf.open(screen_pdf) as pdf:
        marked = marked_content_ids(pdf)
        parent_tree = dict(zip(*[iter(pdf.Root.StructTreeRoot.ParentTree.Nums)] * 2))
        claimed: dict[tuple[tuple[int, int], int], tuple[int, int]] = {}
        elements = structure_elements(pdf)
        for _, element, _ in elements:
            kids = element.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                if isinstance(kid, int):
                    page, mcid = element.get("/Pg"), int(kid)
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    page, mcid = kid.get("/Pg", element.get("/Pg")), int(kid.MCID)
                else:
                    continue
                assert page is not None and page.objgen in marked, f"{element.S}: MCID {mcid} names no page"
                assert marked[page.objgen].count(mcid) == 1, f"{element.S}: MCID {mcid} not marked once on its page"
                assert (page.objgen, mcid) not in claimed, f"MCID {mcid} claimed by two elements"
                claimed[page.objgen, mcid] = element.objgen
                named = parent_tree[int(page.StructParents)][mcid]
                assert named.objgen == element.objgen, f"the parent tree names another element for MCID {mcid}"
        assert len(claimed) > 300
        assert str(pdf.Root.Lang) == sample_build.project.config.language
        languages = [(str(element.S), str(element.Lang)) for _, element, _ in elements if "/Lang" in element]
        written = re.findall(r'<span lang="([^"]+)">', sample_build.renditions[0].html)
        assert written == ["en"] and languages == [("/Span", language) for language in written], languages
        assert all(str(element.get("/Alt", "")).strip() for tag, element, _ in elements if tag == "/Figure")
