"""The screen edition: an accessible PDF/UA-1 file for reading on a screen.

It shares the standard brochure's render (RGB, no bleed, photos at 150 ppi) and only
differs in how it is written and finished: WeasyPrint writes it tagged, then pikepdf
- lowers photos to the `screen:` resolution and JPEG quality of publication.yml,
- joins the structure elements WeasyPrint makes per page (and per column) for one element (an
  article, a paragraph) split over pages into one, so a reader hears one article and one
  paragraph, in the order of the source,
- reads a footnote where it is called, a pull quote's attribution inside its BlockQuote and
  the colofon's labels as the labels (Lbl) of its list items,
- groups a photo (Figure) with its caption in one Div, and tags a footnote's call a Reference and
  the note's own number its label (Lbl),
- marks page numbers and running heads as artifacts, outside the reading order,
- indexes the structure elements' IDs (footnotes are tagged /Note with an ID, render/weasy.py),
- completes the metadata in both the Info dictionary and XMP (language included),
- sets the opening view: page 1, two pages side by side with the cover on its own,
- saves with an identifier derived from the content, so a rebuild is byte-identical.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from PIL import Image

from ..content.sources import Project
from ..core.dist import Output
from ..core.pdf import rewrite, walk
from ..core.reproducible import pdf_date, source_dates, w3c_date
from ..render.images import resample
from ..render.rendition import Rendition
from ..render.weasy import HTML_KEY, NODE_KEY, html_of, structure_keyed
from .edition import Edition

# A photo this much above the wanted resolution is left alone: resampling it would cost
# quality for a few kilobytes.
PPI_TOLERANCE = 1.1


@dataclass(frozen=True)
class Placement:
    """The largest size, in points, at which one image is drawn."""

    width: float
    height: float


def finish_screen(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    settings = project.config.screen

    def finish(pdf: pikepdf.Pdf) -> None:
        lower_photo_resolution(pdf, settings.ppi, settings.jpeg_quality)
        join_split_elements(pdf)
        place_notes_at_their_calls(pdf)
        attribute_block_quotes(pdf)
        label_definition_lists(pdf)
        group_photos_with_captions(pdf)
        tag_footnote_numbers(pdf)
        drop_html_stamps(pdf)
        mark_running_heads_as_artifacts(pdf)
        index_element_ids(pdf)
        set_metadata(pdf, project)
        set_opening_view(pdf)

    with structure_keyed():
        screen = rendition.write(finish=finish, pdf_variant="pdf/ua-1", pdf_tags=True)
    return [Output(edition.output_name(project.slug), screen, edition.purpose)]


# ---- Photos --------------------------------------------------------------------------------

def image_placements(pdf: pikepdf.Pdf) -> dict[tuple[int, int], Placement]:
    """For each image XObject, the largest size it is drawn at on any page."""
    found: dict[tuple[int, int], Placement] = {}
    for page in pdf.pages:
        for drawn in walk(page, "Do"):
            if drawn.is_image:
                width, height = drawn.size
                known = found.get(drawn.xobject.objgen, Placement(0, 0))
                found[drawn.xobject.objgen] = Placement(max(width, known.width), max(height, known.height))
    return found


def lower_photo_resolution(pdf: pikepdf.Pdf, ppi: int, quality: int) -> None:
    """Resample JPEG photos above `ppi` at their placed size; re-encode at `quality` where smaller."""
    for objgen, placement in image_placements(pdf).items():
        image = pdf.get_object(objgen)
        if image.get("/Filter") != "/DCTDecode" or "/SMask" in image or image.get("/ColorSpace") != "/DeviceRGB":
            continue
        width, height = int(image.Width), int(image.Height)
        wanted = (max(1, round(placement.width / 72 * ppi)), max(1, round(placement.height / 72 * ppi)))
        scale = max(wanted[0] / width, wanted[1] / height)
        with Image.open(io.BytesIO(image.read_raw_bytes())) as source:
            picture = source.convert("RGB")
        if scale * PPI_TOLERANCE < 1:
            picture = resample(picture, (max(1, round(width * scale)), max(1, round(height * scale))))
        encoded = io.BytesIO()
        picture.save(encoded, "JPEG", quality=quality, optimize=True, subsampling="4:2:0")
        if picture.size != (width, height) or encoded.tell() < len(image.read_raw_bytes()):
            image.write(encoded.getvalue(), filter=pikepdf.Name.DCTDecode)
            image.Width, image.Height = picture.size
            if "/DecodeParms" in image:
                del image["/DecodeParms"]


# ---- Structure ------------------------------------------------------------------------------

def _reachable_elements(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    stack = [pdf.Root.StructTreeRoot.K]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Array):
            stack.extend(item)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item and item.objgen not in found:
            found.add(item.objgen)
            stack.append(item.get("/K"))
    return found


def _is_element(item) -> bool:
    return isinstance(item, pikepdf.Dictionary) and "/S" in item


def _kids(element: pikepdf.Dictionary) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


# Table rows WeasyPrint repeats at the top (bottom) of each page a table runs over.
REPEATED_ON_EACH_PAGE = ("/THead", "/TFoot")


def join_split_elements(pdf: pikepdf.Pdf) -> None:
    """One structure element for each HTML element, whatever the pages it runs over.

    WeasyPrint tags page by page: an article over four pages is four Art elements, a paragraph
    across a page break two P. Each element carries the number of its HTML element (NODE_KEY, see
    render/weasy.structure_keyed); fragments with the same number, kind and (joined) parent are
    joined into the first, their contents appended in page order. Content referred to by MCID
    alone becomes a marked-content reference naming its page, and the parent tree follows. A
    table header or footer repeated on a later page leaves the tree (its content is then marked as
    an artifact by `mark_running_heads_as_artifacts`), and the cells that named its header cells
    name the first ones.

    First, the boxes WeasyPrint makes inside an element for its own layout, tagged as that element
    once more (the columns of a multi-column block, each a Div in the Div), give their contents
    to the element: a photo spanning the columns then stays between the paragraphs it stands
    between in the source, instead of following the columns' joined text.
    The elements keep their stamps (NODE_KEY, HTML_KEY) for the passes after: `drop_html_stamps`.
    """
    root = pdf.Root.StructTreeRoot
    first_of: dict[tuple, pikepdf.Dictionary] = {}
    joined_into: dict[tuple[int, int], pikepdf.Dictionary] = {}
    _splice_layout_boxes(root, joined_into)
    repeated: list[tuple[tuple, pikepdf.Dictionary]] = []
    same_id: dict[bytes, pikepdf.Object] = {}

    def visit(parent: pikepdf.Dictionary, parent_key: tuple) -> None:
        kept = []
        for kid in _kids(parent):
            if not _is_element(kid):
                kept.append(kid)
                continue
            node = kid.get(NODE_KEY)
            key = (parent_key, int(node), str(kid.S)) if node is not None else None
            first = first_of.get(key) if key is not None else None
            if first is None:
                if key is not None:
                    first_of[key] = kid
                kept.append(kid)
                continue
            if kid.S in REPEATED_ON_EACH_PAGE:
                repeated.append((key, kid))  # its content becomes a pagination artifact
                continue
            if "/ID" in kid and "/ID" in first:
                same_id[bytes(kid.ID)] = first.ID
            moved = _moved_kids(kid, first)
            first_kids = _kids(first)
            if isinstance(first.get("/K"), int) and first.get("/Pg") is not None:
                first_kids = [pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=first.Pg, MCID=first_kids[0])]
            first.K = pikepdf.Array(first_kids + moved)
            joined_into[kid.objgen] = first
        if "/K" in parent or kept:
            parent.K = pikepdf.Array(kept)
        for kid in kept:
            if _is_element(kid):
                node = kid.get(NODE_KEY)
                visit(kid, (parent_key, int(node), str(kid.S)) if node is not None else (parent_key, kid.objgen))

    visit(root, ())
    for key, header in repeated:
        _map_header_ids(header, key, first_of, same_id)
    if same_id:
        _point_cells_at_joined_headers(root, same_id)

    def kept(element: pikepdf.Dictionary) -> pikepdf.Dictionary:
        while element.objgen in joined_into:
            element = joined_into[element.objgen]
        return element

    nums = root.ParentTree.Nums
    for index in range(1, len(nums), 2):
        entry = nums[index]
        if isinstance(entry, pikepdf.Array):
            for position, element in enumerate(entry):
                if isinstance(element, pikepdf.Dictionary) and element.objgen in joined_into:
                    entry[position] = kept(element)
        elif isinstance(entry, pikepdf.Dictionary) and entry.objgen in joined_into:
            nums[index] = kept(entry)


def _moved_kids(source: pikepdf.Dictionary, new_parent: pikepdf.Dictionary) -> list:
    """The kids of `source`, made ready to be kids of `new_parent`: elements point at it, and
    content named by MCID alone becomes a marked-content reference naming its page."""
    page = source.get("/Pg")
    moved = []
    for item in _kids(source):
        if isinstance(item, int):
            item = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=page, MCID=item)
        elif _is_element(item):
            item.P = new_parent
        elif isinstance(item, pikepdf.Dictionary) and "/Pg" not in item and page is not None:
            item.Pg = page
        moved.append(item)
    return moved


def _is_layout_box(kid, parent: pikepdf.Dictionary) -> bool:
    """A structure element for a box WeasyPrint made inside an element for its layout (a column):
    the same HTML element, the same structure type, as its parent."""
    return (_is_element(kid) and NODE_KEY in kid and NODE_KEY in parent
            and int(kid[NODE_KEY]) == int(parent[NODE_KEY]) and kid.S == parent.S)


def _splice_layout_boxes(root: pikepdf.Dictionary, replaced: dict[tuple[int, int], pikepdf.Dictionary]) -> None:
    """Each layout box (`_is_layout_box`) replaced by its kids in its parent, in place."""
    stack = [root]
    while stack:
        parent = stack.pop()
        kids = _kids(parent)
        if any(_is_layout_box(kid, parent) for kid in kids):
            spliced: list = []
            pending = list(kids)
            while pending:
                kid = pending.pop(0)
                if _is_layout_box(kid, parent):
                    replaced[kid.objgen] = parent
                    pending[0:0] = _moved_kids(kid, parent)
                else:
                    spliced.append(kid)
            parent.K = pikepdf.Array(spliced)
            kids = spliced
        stack.extend(kid for kid in kids if _is_element(kid))


def _map_header_ids(element: pikepdf.Dictionary, key: tuple, first_of: dict, same_id: dict) -> None:
    """The ids of a repeated header's cells, each mapped to the id of the same cell where it first shows."""
    first = first_of.get(key)
    if first is not None and "/ID" in element and "/ID" in first:
        same_id[bytes(element.ID)] = first.ID
    for kid in _kids(element):
        if _is_element(kid) and NODE_KEY in kid:
            _map_header_ids(kid, (key, int(kid[NODE_KEY]), str(kid.S)), first_of, same_id)


def _point_cells_at_joined_headers(root: pikepdf.Dictionary, same_id: dict[bytes, pikepdf.Object]) -> None:
    """Table cells name their headers by id (/A /Headers): name the header cells that are kept."""
    for element in _all_elements(root):
        attributes = element.get("/A")
        for owner in (attributes if isinstance(attributes, pikepdf.Array) else [attributes]):
            if isinstance(owner, pikepdf.Dictionary) and isinstance(owner.get("/Headers"), pikepdf.Array):
                owner.Headers = pikepdf.Array([same_id.get(bytes(header), header) for header in owner.Headers])


def _all_elements(root: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found, stack, seen = [], [root], set()
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Array):
            stack.extend(item)
        elif isinstance(item, pikepdf.Dictionary) and item.objgen not in seen and ("/S" in item or item is root):
            seen.add(item.objgen)
            found.append(item)
            stack.append(item.get("/K"))
    return found


def _parents(root: pikepdf.Dictionary) -> dict[tuple[int, int], pikepdf.Dictionary]:
    """For each element of the tree, the element (or root) whose /K holds it."""
    found: dict[tuple[int, int], pikepdf.Dictionary] = {}
    for parent in _all_elements(root):
        for kid in _kids(parent):
            if _is_element(kid):
                found[kid.objgen] = parent
    return found


def _replace_kid(parent: pikepdf.Dictionary, kid: pikepdf.Dictionary, replacements: list) -> None:
    """`kid` replaced by `replacements` (none: removed) in its parent's /K."""
    kids = _kids(parent)
    at = next(index for index, item in enumerate(kids) if _is_element(item) and item.objgen == kid.objgen)
    for item in replacements:
        if _is_element(item):
            item.P = parent
    parent.K = pikepdf.Array(kids[:at] + replacements + kids[at + 1:])


def place_notes_at_their_calls(pdf: pikepdf.Pdf) -> None:
    """Each footnote read where it is called, as the HTML has it.

    WeasyPrint tags a footnote where it is drawn: in the footnote area at the foot of the page, an
    element of the page's own (a NonStruct at the top of the tree, between two articles). The
    note (a /Note, render/weasy.py) moves into the paragraph that calls it, right after its call
    (`::footnote-call`, the same HTML element); a footnote area left empty leaves the tree.
    """
    root = pdf.Root.StructTreeRoot
    elements = _all_elements(root)
    calls = {int(element[NODE_KEY]): element for element in elements
             if NODE_KEY in element and html_of(element).endswith("::footnote-call")}
    parents = _parents(root)
    last_placed: dict[tuple[int, int], pikepdf.Dictionary] = {}  # per call: what was placed after it
    for note in (element for element in elements if element.get("/S") == "/Note" and NODE_KEY in element):
        call = calls.get(int(note[NODE_KEY]))
        area = parents.get(note.objgen)
        if call is None or area is None or call.objgen not in parents:
            continue
        _replace_kid(area, note, [])
        calling = parents[call.objgen]
        after = last_placed.get(call.objgen, call)  # a note in two parts (over two pages): in order
        kids = _kids(calling)
        at = next(index for index, item in enumerate(kids) if _is_element(item) and item.objgen == after.objgen)
        note.P = calling
        calling.K = pikepdf.Array(kids[:at + 1] + [note] + kids[at + 1:])
        parents[note.objgen] = calling
        last_placed[call.objgen] = note
        while area.get("/S") == "/NonStruct" and not _kids(area) and area.objgen in parents:
            holder = parents.pop(area.objgen)
            _replace_kid(holder, area, [])
            area = holder


def attribute_block_quotes(pdf: pikepdf.Pdf) -> None:
    """A quote's attribution read as part of the quote.

    A pull quote is `<aside><blockquote>...</blockquote><footer>attribution</footer></aside>`,
    as HTML wants an attribution outside the quote; WeasyPrint tags the aside and the footer
    NonStruct, so the attribution is heard after the quote as a loose line, or not known for one.
    The footer becomes the BlockQuote's last paragraph (P), and the NonStruct around them (around
    a quote without attribution too) leaves the tree: a reader hears the quote, then who said
    it, within one BlockQuote.
    """
    root = pdf.Root.StructTreeRoot
    parents = _parents(root)
    for holder in _all_elements(root):
        kids = _kids(holder)
        quotes = [kid for kid in kids if _is_element(kid) and kid.get("/S") == "/BlockQuote"]
        footers = [kid for kid in kids if _is_element(kid) and html_of(kid) == "footer"]
        # Only a NonStruct holding nothing else, no content of its own either (the parent tree names it).
        if len(quotes) != 1 or len(quotes) + len(footers) != len(kids) or holder.get("/S") != "/NonStruct":
            continue
        quote = quotes[0]
        for footer in footers:
            _replace_kid(holder, footer, [])
            footer.S = pikepdf.Name.P
            footer.P = quote
            quote.K = pikepdf.Array(_kids(quote) + [footer])
        if holder.objgen in parents:
            _replace_kid(parents[holder.objgen], holder, _kids(holder))


def label_definition_lists(pdf: pikepdf.Pdf) -> None:
    """A definition list (the colofon's `<dl>`) read as a list of items, each with its label.

    WeasyPrint tags every `dt` and every `dd` as an item of its own (LI with an LBody), so the
    label "Editor" and the name after it are two items. Here each term becomes the label (Lbl) of
    an item whose body (LBody) is the description that follows it.
    """
    for element in _all_elements(pdf.Root.StructTreeRoot):
        if element.get("/S") != "/L" or html_of(element) != "dl":
            continue
        items: list = []
        for kid in _kids(element):
            tag = html_of(kid) if _is_element(kid) else ""
            if tag == "dt":
                for body in _kids(kid):
                    if _is_element(body) and body.get("/S") == "/LBody":
                        body.S = pikepdf.Name.Lbl
            if tag == "dd" and items and html_of(items[-1]) == "dt":
                items[-1].K = pikepdf.Array(_kids(items[-1]) + _moved_kids(kid, items[-1]))
                continue
            items.append(kid)
        element.K = pikepdf.Array(items)


def group_photos_with_captions(pdf: pikepdf.Pdf) -> None:
    """A photo and its caption read as one group: the Figure first, then its Caption, in a Div.

    A photo is `<figure><img><figcaption>`: WeasyPrint tags the `figure` NonStruct (an element a
    reader passes over without a word), so nothing ties the caption to the photo. The NonStruct
    becomes a Div holding the Figure, then the Caption (PDF 1.7, 14.8.4.3: a caption is the first or
    last child of the group it captions). The Caption stays beside the Figure, not inside it: the
    Figure's /Alt replaces everything inside it for a screen reader, the caption and credit too.
    """
    for element in _all_elements(pdf.Root.StructTreeRoot):
        if element.get("/S") != "/NonStruct" or html_of(element) != "figure":
            continue
        kids = _kids(element)  # only elements: a figure with content of its own is left as it is
        figures = [kid for kid in kids if _is_element(kid) and kid.get("/S") == "/Figure"]
        captions = [kid for kid in kids if _is_element(kid) and kid.get("/S") == "/Caption"]
        if len(figures) == 1 and len(captions) <= 1 and len(figures) + len(captions) == len(kids):
            element.S = pikepdf.Name.Div
            element.K = pikepdf.Array(figures + captions)


def tag_footnote_numbers(pdf: pikepdf.Pdf) -> None:
    """A footnote's call in the text tagged a Reference, the number in front of the note its label.

    WeasyPrint tags both pseudo-elements (`::footnote-call`, `::footnote-marker`) NonStruct, so a
    reader hears a bare "1" in the sentence and again before the note. As PDF/UA asks of notes and
    their references (ISO 14289-1, 7.9; PDF 1.7, 14.8.4.4): the call is a Reference, the number
    inside the Note (placed right after its call by `place_notes_at_their_calls`) is its Lbl.
    """
    roles = {"::footnote-call": pikepdf.Name.Reference, "::footnote-marker": pikepdf.Name.Lbl}
    for element in _all_elements(pdf.Root.StructTreeRoot):
        role = roles.get(html_of(element)[html_of(element).find("::"):] if "::" in html_of(element) else "")
        if role is not None and element.get("/S") == "/NonStruct":
            element.S = role


def drop_html_stamps(pdf: pikepdf.Pdf) -> None:
    """The keys `render/weasy.structure_keyed` stamped on the elements, once they have served."""
    for element in _all_elements(pdf.Root.StructTreeRoot):
        for key in (NODE_KEY, HTML_KEY):
            if key in element:
                del element[key]


def mark_running_heads_as_artifacts(pdf: pikepdf.Pdf) -> None:
    """Make page numbers and running heads pagination artifacts.

    WeasyPrint tags the content of page-margin boxes but leaves those elements out of the
    structure tree (PDF 1.7 has no artifact element), so a screen reader cannot reach them and
    PDF/UA checkers report untagged content. Marked as /Artifact, they are skipped as they should be.
    """
    reachable = _reachable_elements(pdf)
    parent_tree = dict(zip(*[iter(pdf.Root.StructTreeRoot.ParentTree.Nums)] * 2))
    for page in pdf.pages:
        elements = parent_tree.get(int(page.obj.get("/StructParents", -1)))
        if not isinstance(elements, pikepdf.Array):
            continue
        orphans = {mcid for mcid, element in enumerate(elements)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
        if not orphans:
            continue

        def as_artifact(operands: list, operator: str, orphans: set[int] = orphans):
            if operator == "BDC" and isinstance(operands[1], pikepdf.Dictionary) \
                    and int(operands[1].get("/MCID", -1)) in orphans:
                return [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)], "BDC"
            return None

        rewrite(page, as_artifact, pdf)
        for mcid in orphans:
            elements[mcid] = None


def index_element_ids(pdf: pikepdf.Pdf) -> None:
    """The ID tree the structure tree needs once an element has an /ID (PDF 1.7, 14.7.2): the notes'."""
    reachable = {objgen: pdf.get_object(objgen) for objgen in _reachable_elements(pdf)}
    named = sorted((bytes(element.ID), element) for element in reachable.values() if "/ID" in element)
    if named:
        names = pikepdf.Array()
        for name, element in named:
            names.extend([pikepdf.String(name), element])
        pdf.Root.StructTreeRoot.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=names))


# ---- Metadata and opening view ---------------------------------------------------------------

def set_metadata(pdf: pikepdf.Pdf, project: Project) -> None:
    """Title, author, subject, keywords, language and dates, the same in Info and XMP."""
    config = project.config
    created, modified = source_dates(config)
    author = config.author or config.publisher
    info = {
        "/Title": config.title,
        "/Author": author,
        "/Subject": config.subtitle,
        "/Keywords": ", ".join(config.keywords),
        "/CreationDate": pdf_date(created),
        "/ModDate": pdf_date(modified),
    }
    for key, value in info.items():
        if value:
            pdf.docinfo[key] = value
    pdf.Root.Lang = config.language
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp["dc:title"] = config.title
        xmp["dc:creator"] = [author]
        xmp["dc:language"] = [config.language]
        xmp["dc:publisher"] = [config.publisher]
        if config.subtitle:
            xmp["dc:description"] = config.subtitle
        if config.keywords:
            xmp["dc:subject"] = set(config.keywords)
            xmp["pdf:Keywords"] = ", ".join(config.keywords)
        xmp["xmp:CreateDate"] = w3c_date(created)
        xmp["xmp:ModifyDate"] = w3c_date(modified)
        xmp["xmp:MetadataDate"] = w3c_date(modified)


def set_opening_view(pdf: pikepdf.Pdf) -> None:
    """Open on page 1 with the bookmarks shown, two pages side by side, the cover on its own."""
    pdf.Root.PageLayout = pikepdf.Name.TwoPageRight
    pdf.Root.PageMode = pikepdf.Name.UseOutlines if "/Outlines" in pdf.Root else pikepdf.Name.UseNone
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
    preferences = pdf.Root.get("/ViewerPreferences", pikepdf.Dictionary())
    preferences.DisplayDocTitle = True
    pdf.Root.ViewerPreferences = preferences


def finish_screen_once(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    """`finish_screen`, made once for a rendition and its settings: the web edition offers the same file
    for download, and a build that makes both writes it once."""
    made = rendition.made.get(edition.name)
    if made is None or made[0] != project.config:
        made = (project.config, finish_screen(project, rendition, edition))
        rendition.made[edition.name] = made
    return made[1]


SCREEN = Edition("screen", "{slug}-screen.pdf",
                 "the accessible edition for reading on screen (tagged PDF/UA-1, bookmarks, links)", finish_screen_once)
