"""Performance properties that are not timings (those are in bench/): work done once, no pixels wasted."""

from __future__ import annotations

import subprocess

import weasyprint

from publication.commands.build import build
from publication.editions import DEFAULT_EDITIONS, EDITIONS
from publication.render.spec import SCREEN_SPEC


def placed_resolutions(pdf) -> list[tuple[int, float, float]]:
    """(page, x-ppi, y-ppi) of every image placed in the PDF, from poppler's pdfimages."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    return [(int(row[0]), float(row[12]), float(row[13])) for row in rows if row[2] == "image"]


def test_every_photo_is_stored_at_about_the_targets_resolution(sample_pdf):
    resolutions = placed_resolutions(sample_pdf)
    assert len(resolutions) >= 8  # the cover, six photos in the articles, the back cover
    too_fine = [(page, x, y) for page, x, y in resolutions if min(x, y) > 1.2 * SCREEN_SPEC.ppi]
    assert not too_fine, f"photos with more pixels than their target needs (page, x-ppi, y-ppi): {too_fine}"


def test_a_default_build_lays_out_once_and_draws_every_edition_from_that_layout(project, monkeypatch):
    """WeasyPrint lays out the print edition, and nothing else: the RGB editions are its pages drawn in RGB."""
    layouts = []
    lay_out = weasyprint.HTML.render

    def counted(html, *args, **kwargs):
        layouts.append(html)
        return lay_out(html, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    result = build(project.root)

    assert len(layouts) == 1, f"WeasyPrint laid the brochure out {len(layouts)} times"
    [laid_out] = [rendition for rendition in result.renditions if rendition.rgb_view is None]
    assert laid_out.spec.colour_space == "cmyk", "the one layout is the print edition's"
    assert len(result.renditions) == 2 and all(rendition.document is laid_out.document
                                                for rendition in result.renditions)
    # Each PDF edition's file in dist/ (the web edition, dist/web/, copies the screen PDF beside its page).
    pdfs = [path for path in result.written if path.suffix == ".pdf" and path.parent == result.project.dist_dir]
    assert len(pdfs) == len([name for name in DEFAULT_EDITIONS if EDITIONS[name].filename.endswith(".pdf")]) == 4
