"""Performance properties that are not timings (those are in bench/): work done once, no pixels wasted."""

from __future__ import annotations

import subprocess

from publication.targets import STANDARD


def placed_resolutions(pdf) -> list[tuple[int, float, float]]:
    """(page, x-ppi, y-ppi) of every image placed in the PDF, from poppler's pdfimages."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    return [(int(row[0]), float(row[12]), float(row[13])) for row in rows if row[2] == "image"]


def test_every_photo_is_stored_at_about_the_targets_resolution(sample_pdf):
    resolutions = placed_resolutions(sample_pdf)
    assert len(resolutions) >= 8  # the cover, six photos in the articles, the back cover
    too_fine = [(page, x, y) for page, x, y in resolutions if min(x, y) > 1.2 * STANDARD.layout.ppi]
    assert not too_fine, f"photos with more pixels than their target needs (page, x-ppi, y-ppi): {too_fine}"


def test_every_layout_is_rendered_once_however_many_targets_use_it(sample_build):
    layouts = [rendition.layout for rendition in sample_build.renditions]
    assert len(set(layouts)) == len(layouts)
    pdfs = [path for path in sample_build.written if path.suffix == ".pdf"]
    assert len(pdfs) > len(layouts)  # several outputs from each layout

