"""The preflight report as files for dist/: JSON for tools, and one self-contained HTML page
with a thumbnail of every page and each problem marked where it is, and each page's separations."""

from __future__ import annotations

import base64
import functools
import io

import jinja2

from ..core.dist import Output
from ..core.problems import Code
from ..core.raster import render_pages
from ..core.units import PT_PER_MM
from .ink import PICTURE_WIDTH, PLATES, SIGNAL
from .pages import SAFETY_ZONE_MM
from .report import Report

THUMBNAIL_WIDTH = 360
PLATE_WIDTH = PICTURE_WIDTH

_SOURCE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Preflight: {{ title }}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d1d1b; background: #f4f4f2; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .verdict { display: inline-block; padding: 3px 10px; border-radius: 3px; color: #fff; font-weight: 600; }
  .passed { background: #2e7d32; } .failed { background: #c62828; }
  .meta { color: #555; margin: 8px 0 20px; }
  table { border-collapse: collapse; background: #fff; margin-bottom: 28px; width: 100%; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e3e0; vertical-align: top; }
  td.n { font-weight: 700; width: 2em; }
  .error { color: #c62828; font-weight: 600; } .warning { color: #b26a00; font-weight: 600; }
  code { font-size: 12px; }
  .pages { display: flex; flex-wrap: wrap; gap: 18px; }
  .page { background: #fff; padding: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
  .sheet { position: relative; width: {{ width }}px; }
  .sheet img { display: block; width: 100%; }
  .mark { position: absolute; border: 2px solid; box-sizing: border-box; min-width: 10px; min-height: 10px; }
  .mark span { position: absolute; left: -2px; top: -18px; color: #fff; font: 700 11px/16px sans-serif;
               padding: 0 4px; }
  .mark.error { border-color: #c62828; } .mark.error span { background: #c62828; }
  .mark.warning { border-color: #e69500; } .mark.warning span { background: #e69500; }
  .whole { outline: 4px solid #c62828; }
  .caption { margin-top: 6px; font-size: 12px; color: #555; }
  .safety { position: absolute; border: 1px dashed rgba(0, 120, 215, .55); pointer-events: none; }
  h2 { font-size: 18px; margin: 32px 0 4px; }
  .separations { display: flex; flex-direction: column; gap: 14px; }
  .plates { display: flex; gap: 10px; align-items: flex-start; background: #fff; padding: 8px;
            box-shadow: 0 1px 3px rgba(0,0,0,.2); width: max-content; }
  .plates .caption { width: 9em; margin: 0; }
  .plate { margin: 0; }
  .plate .ink { position: relative; width: {{ plate_width }}px; outline: 1px solid #d6d6d2; }
  .plate .ink img { display: block; width: 100%; mix-blend-mode: screen; }
  .plate.total .ink img { mix-blend-mode: normal; }
  .plate figcaption { font-size: 12px; color: #555; text-align: center; margin-top: 3px; }
  .cyan .ink { background: #00a0e3; } .magenta .ink { background: #e5007e; }
  .yellow .ink { background: #ffe500; } .black .ink { background: #000; }
  .signal { background: rgb{{ signal }}; color: #fff; padding: 0 4px; border-radius: 2px; }
</style>
</head>
<body>
<h1>Preflight: {{ title }}</h1>
<p><span class="verdict {{ 'passed' if report.passed else 'failed' }}">{{ 'Passed' if report.passed else 'Not passed' }}</span>
{% if report.forced %} — the PDF was written anyway (--force){% endif %}</p>
<p class="meta">{{ report.summary() }} Standard PDF/X-{{ report.standard[2:] }}, binding {{ report.binding }}.
Thumbnails show the trimmed page; the dashed line is the {{ '%g' % safety }} mm safety zone.</p>
{% if numbered %}
<table>
<tr><th>#</th><th>Severity</th><th>Check</th><th>Page</th><th>Where</th><th>Problem</th></tr>
{% for number, finding in numbered %}
<tr><td class="n">{{ number }}</td><td class="{{ finding.severity.value }}">{{ finding.severity.value }}</td>
<td><code>{{ finding.code.value }}</code></td><td>{{ finding.page or '' }}</td>
<td>{% if finding.location %}<code>{{ finding.location }}</code><br>{% endif %}<code>{{ finding.element }}</code></td>
<td>{{ finding.message }}</td></tr>
{% endfor %}
</table>
{% endif %}
<div class="pages">
{% for page in pages %}
<div class="page">
  <div class="sheet{% if page.whole %} whole{% endif %}">
    <img src="data:image/jpeg;base64,{{ page.jpeg }}" alt="page {{ page.number }}">
    <div class="safety" title="{{ '%g' % safety }} mm safety zone" style="left: {{ '%.2f' % (safety / page.width_mm * 100) }}%; right: {{ '%.2f' % (safety / page.width_mm * 100) }}%; top: {{ '%.2f' % (safety / page.height_mm * 100) }}%; bottom: {{ '%.2f' % (safety / page.height_mm * 100) }}%"></div>
    {% for number, finding in page.marks %}
    <div class="mark {{ finding.severity.value }}" title="{{ finding.message }}" style="left: {{ '%.2f' % (finding.area[0] / page.width_mm * 100) }}%; top: {{ '%.2f' % (finding.area[1] / page.height_mm * 100) }}%; width: {{ '%.2f' % (finding.area[2] / page.width_mm * 100) }}%; height: {{ '%.2f' % (finding.area[3] / page.height_mm * 100) }}%"><span>{{ number }}</span></div>
    {% endfor %}
  </div>
  <div class="caption">Page {{ page.number }}{% if page.number in report.blank_pages %} · left blank on purpose{% endif %}{% if page.listed %} · {{ page.listed | join(', ') }}{% endif %}</div>
</div>
{% endfor %}
</div>
{% if separations %}
<h2>Separations</h2>
<p class="meta">Each printing plate of every page as the press inks it (the more colour, the more ink), and the
total ink of the four, darker where there is more, with every area above {{ report.max_ink }}% in
<span class="signal">this colour</span>, as Acrobat's Output Preview shows them. Measured at 300 dpi inside
the trim; numbered areas are in the table above.</p>
<div class="separations">
{% for page in separations %}
<div class="plates">
  <div class="caption">Page {{ page.number }}<br>up to {{ page.highest }}% total ink</div>
  {% for name, png in page.plates %}
  <figure class="plate {{ name }}"><div class="ink"><img src="data:image/png;base64,{{ png }}" alt="page {{ page.number }}, {{ name }}">
    {% if name == 'total' %}{% for number, finding in page.marks %}<div class="mark {{ finding.severity.value }}" title="{{ finding.message }}" style="left: {{ '%.2f' % (finding.area[0] / page.width_mm * 100) }}%; top: {{ '%.2f' % (finding.area[1] / page.height_mm * 100) }}%; width: {{ '%.2f' % (finding.area[2] / page.width_mm * 100) }}%; height: {{ '%.2f' % (finding.area[3] / page.height_mm * 100) }}%"><span>{{ number }}</span></div>{% endfor %}{% endif %}
  </div><figcaption>{{ name | capitalize }}{% if name == 'total' %} ink{% endif %}</figcaption></figure>
  {% endfor %}
</div>
{% endfor %}
</div>
{% endif %}
</body>
</html>
"""


@functools.cache
def _template() -> jinja2.Template:
    """Compiled when a report is first written, not when the module is imported (a build of the
    standard edition alone imports the preflight and writes no report)."""
    return jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(_SOURCE)


def _thumbnails(pdf_bytes: bytes) -> list[dict]:
    """Each page rendered and cut to its TrimBox."""
    pages = []
    for page in render_pages(pdf_bytes, box="trim", width_px=THUMBNAIL_WIDTH):
        buffer = io.BytesIO()
        page.image.convert("RGB").save(buffer, "JPEG", quality=85)  # a hundred times faster than an optimised PNG
        pages.append({"jpeg": base64.b64encode(buffer.getvalue()).decode(),
                      "width_mm": page.width_pt / PT_PER_MM, "height_mm": page.height_pt / PT_PER_MM})
    return pages


def render_html(report: Report, title: str, pdf_bytes: bytes | None) -> str:
    """The report, with `pdf_bytes` pictured page by page (any PDF of the print file's pages)."""
    numbered = list(enumerate(report.findings, start=1))
    pages = []
    for index, page in enumerate(_thumbnails(pdf_bytes) if pdf_bytes else [], start=1):
        on_page = [(number, finding) for number, finding in numbered if finding.page == index]
        page.update(number=index, marks=[(n, f) for n, f in on_page if f.area],
                    listed=[f"#{n}" for n, _ in on_page],
                    whole=any(f.is_error and not f.area for _, f in on_page))
        pages.append(page)
    separations = []
    for page in report.separations:
        inked = [(number, finding) for number, finding in numbered
                 if finding.page == page.page and finding.code is Code.INK_COVERAGE and finding.area]
        separations.append({"number": page.page, "highest": page.highest, "width_mm": page.width_mm,
                            "height_mm": page.height_mm, "marks": inked,
                            "plates": [(name, base64.b64encode(png).decode())
                                       for name, png in zip((*PLATES, "total"), page.plates)]})
    return _template().render(report=report, title=title, numbered=numbered, pages=pages, width=THUMBNAIL_WIDTH,
                              safety=SAFETY_ZONE_MM, separations=separations, plate_width=PLATE_WIDTH, signal=SIGNAL)


def report_outputs(slug: str, title: str, report: Report, pdf_bytes: bytes | None) -> list[Output]:
    """The JSON and HTML reports; the HTML pictures the pages of `pdf_bytes` (see render_html)."""
    return [Output(f"{slug}-preflight.json", report.to_json(), "the preflight findings, for tools"),
            Output(f"{slug}-preflight.html", render_html(report, title, pdf_bytes).encode(),
                   "the preflight report, with every problem marked on its page")]
