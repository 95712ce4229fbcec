"""Dates for reproducible builds: taken from the content, never from the clock.

The creation date is the publication date in publication.yml. The modification date is
SOURCE_DATE_EPOCH when the environment sets it (the reproducible-builds.org convention for
"when the sources last changed"), and otherwise the publication date as well.
"""

from __future__ import annotations

import datetime as dt
import os

from .errors import BuildFailed, error

PdfDate = dt.date | dt.datetime


def source_dates(config) -> tuple[PdfDate, PdfDate]:
    """(created, modified) for a publication's metadata."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return config.date, config.date
    if not epoch.isdigit():
        raise BuildFailed([error("environment", None, f"SOURCE_DATE_EPOCH is '{epoch}'; it must be a whole number "
                                 "of seconds since 1970-01-01 (for example `git log -1 --format=%ct`), or unset",
                                 "source-date-epoch")])
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
