"""Dates for reproducible builds: taken from the content, never from the clock.

The creation date is the publication date in publication.yml. The modification date is
SOURCE_DATE_EPOCH when the environment sets it (the reproducible-builds.org convention for
"when the sources last changed"), and otherwise the publication date as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import uuid
from typing import Callable

import pikepdf

from .pdf import content_holders, content_streams
from .problems import BuildFailed, Code, error

PdfDate = dt.date | dt.datetime


def source_dates(config) -> tuple[PdfDate, PdfDate]:
    """(created, modified) for a publication's metadata."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return config.date, config.date
    if not epoch.isdigit():
        raise BuildFailed([error("environment", None, f"SOURCE_DATE_EPOCH is '{epoch}'; it must be a whole number "
                                 "of seconds since 1970-01-01 (for example `git log -1 --format=%ct`), or unset",
                                 Code.SOURCE_DATE_EPOCH)])
    return config.date, dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)


def pdf_date(value: PdfDate) -> str:
    """A date in the PDF Info dictionary's format, e.g. D:20161101 or D:20161101120000Z."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("D:%Y%m%d%H%M%SZ")
    return value.strftime("D:%Y%m%d")


def w3c_date(value: PdfDate) -> str:
    """A date as XMP and HTML's dcterms metadata write it."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


# ---- PDF bytes that do not depend on where the project lives ---------------------------------

def location_independent(pdf_bytes: bytes, identifier: bytes, object_streams: bool = True,
                         finish: "Callable[[pikepdf.Pdf], None] | None" = None) -> bytes:
    """WeasyPrint's PDF, made independent of the folder it was built in and of chance.

    WeasyPrint names each image after the MD5 of its absolute URL, so the same project in two
    folders gives different names, a different object order and different bytes. Images are
    renamed after their content here. A random XMP document id (PDF/X-4) becomes one derived
    from `identifier`. The file identifier is hashed from the content when saving. `finish` changes
    the file further before that one save (a target's own finishing).
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        name_images_by_content(pdf)
        _fix_xmp_document_id(pdf, identifier)
        if finish:
            finish(pdf)
        return save_reproducibly(pdf, object_streams)


def save_reproducibly(pdf: pikepdf.Pdf, object_streams: bool = True) -> bytes:
    """Bytes that depend on the content only: no timestamps, an identifier hashed from the file."""
    if "/ID" in pdf.trailer:
        del pdf.trailer["/ID"]  # qpdf keeps an existing first half; without one, both halves are hashed
    buffer = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=mode)
    return buffer.getvalue()


def name_images_by_content(pdf: pikepdf.Pdf) -> None:
    """Rename image XObjects after a hash of their content, in the resources and the content streams."""
    renames_by_dictionary: dict[tuple[int, int], dict[bytes, bytes]] = {}
    for holder in list(content_holders(pdf, patterns=True)):
        resources = holder.get("/Resources", {})
        xobjects = resources.get("/XObject")
        if xobjects is None:
            continue
        # Resource dictionaries are often shared between pages: rename once, rewrite every page.
        owner = xobjects if xobjects.is_indirect else resources
        key = owner.objgen if owner.is_indirect else None
        if key in renames_by_dictionary:
            renames = renames_by_dictionary[key]
        else:
            renames = _rename_images(xobjects)
            if key is not None:
                renames_by_dictionary[key] = renames
        if renames:
            _rename_in_content(holder, renames)


def _rename_images(xobjects: pikepdf.Dictionary) -> dict[bytes, bytes]:
    renames: dict[bytes, bytes] = {}
    for name in sorted(xobjects.keys()):
        image = xobjects[name]
        if image.get("/Subtype") != "/Image":
            continue
        described = repr(sorted((key, str(value)) for key, value in image.items() if key != "/Length"))
        new = "/Im" + hashlib.sha256(image.read_raw_bytes() + described.encode()).hexdigest()[:20]
        if new != name:
            xobjects[new] = image
            del xobjects[name]
            renames[name.encode()] = new.encode()
    return renames


_NAME = re.compile(rb"/[^\s/\[\]<>(){}%]+")


def _rename_in_content(holder: pikepdf.Object, renames: dict[bytes, bytes]) -> None:
    """Names are replaced in the bytes, not by parsing: the streams stay exactly as WeasyPrint wrote them."""
    for stream in content_streams(holder):
        data = stream.read_bytes()
        changed = _NAME.sub(lambda match: renames.get(match.group(0), match.group(0)), data)
        if changed != data:
            stream.write(changed)


def _fix_xmp_document_id(pdf: pikepdf.Pdf, identifier: bytes) -> None:
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return
    xml = metadata.read_bytes()
    fixed = re.sub(
        rb"xmp\.did:[0-9a-f-]{36}",
        b"xmp.did:" + str(uuid.UUID(bytes=hashlib.sha256(identifier).digest()[:16])).encode(),
        xml,
    )
    if fixed != xml:
        metadata.write(fixed)
