"""The print target: a PDF/X file for the print shop.

WeasyPrint labels a file PDF/X but converts nothing, so this target lays the brochure out
in CMYK (theme colours as device-cmyk(), photos converted to the output profile), asks
WeasyPrint for the PDF/X variant with the output profile as OutputIntent, and then
finishes the file with pikepdf: the OutputIntent's identifier, crop marks in the
registration colour outside the bleed (WeasyPrint's own marks are RGB), and room for them.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pikepdf
import yaml

from .content import Project
from .errors import Issue, error, raise_if_errors
from .layout import BUILTIN_ASSETS, PACKAGE_ROOT
from .output import Output
from .reproducible import save_reproducibly
from .preflight import BINDING_MULTIPLE
from .targets import Layout, Target, register
from .theme import Theme, load_theme

MM = 72 / 25.4
CROP_MARK_LENGTH = 5.0
CROP_MARK_MIN_OFFSET = 3.0
CROP_MARK_WIDTH = 0.25  # pt: a hairline, the usual weight for crop marks
PROFILE_INFO = "profile.yml"
"""Beside a shipped profile: its file name, output condition identifier and registry."""

STANDARDS = {"x-4": "pdf/x-4", "x-1a": "pdf/x-1a", "x-3": "pdf/x-3"}


@dataclass(frozen=True)
class OutputProfile:
    path: Path
    identifier: str
    condition: str = ""
    registry: str = "http://www.color.org"


def _shipped_profile(icc_dir: Path) -> OutputProfile | None:
    info_file = icc_dir / PROFILE_INFO
    if not info_file.is_file():
        return None
    info = yaml.safe_load(info_file.read_text(encoding="utf-8")) or {}
    path = icc_dir / str(info.get("file", ""))
    if not path.is_file() or not info.get("output_condition_identifier"):
        return None
    return OutputProfile(path.resolve(), str(info["output_condition_identifier"]), str(info.get("condition", "")),
                         str(info.get("registry", "http://www.color.org")))


def output_profile(project: Project) -> tuple[OutputProfile | None, list[Issue]]:
    """The print shop's profile from publication.yml, or the one shipped with the project or package."""
    settings = project.config.print
    shown = project.config_display_path
    if settings.output_profile:
        path = (project.root / settings.output_profile).resolve()
        if not path.is_relative_to(project.root.resolve()):
            return None, [error(shown, None, f"print.output_profile '{settings.output_profile}' is outside the project; "
                                "copy the profile into the project (e.g. assets/icc/) and name it there", "profile")]
        if not path.is_file():
            return None, [error(shown, None, f"print.output_profile '{settings.output_profile}' not found; give the "
                                "path of the print shop's .icc file relative to the project folder", "profile")]
        problem = _not_cmyk(path)
        if problem:
            return None, [error(shown, None, f"print.output_profile '{settings.output_profile}' {problem}", "profile")]
        if not settings.output_condition_identifier:
            return None, [error(shown, None, "print.output_condition_identifier is missing; add the print condition "
                                "of the profile, as the print shop names it (e.g. FOGRA39 or FOGRA51)", "profile")]
        return OutputProfile(path, settings.output_condition_identifier), []
    for icc_dir in (project.root / "assets" / "icc", BUILTIN_ASSETS / "icc"):
        shipped = _shipped_profile(icc_dir)
        if shipped:
            if settings.output_condition_identifier:
                shipped = OutputProfile(shipped.path, settings.output_condition_identifier)
            return shipped, []
    return None, [error(shown, None, "the print PDF needs a CMYK output profile and none is installed: ask the print "
                        "shop for its ICC profile, put it in the project (e.g. assets/icc/press.icc) and set "
                        "print.output_profile and print.output_condition_identifier in publication.yml", "profile")]


def _not_cmyk(path: Path) -> str | None:
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(str(path))
    except (ImageCms.PyCMSError, OSError) as exc:
        return f"is not an ICC profile we can read ({exc})"
    space = profile.profile.xcolor_space.strip()
    return None if space == "CMYK" else f"is a {space} profile; the print PDF needs a CMYK output profile"


def print_layout(project: Project) -> Layout:
    settings = project.config.print
    profile, issues = output_profile(project)
    raise_if_errors(issues)
    colour_profile = ("@color-profile device-cmyk { src: url(%s); components: cyan, magenta, yellow, black; }"
                      % profile.path.as_uri())
    return Layout(colour_space="cmyk", bleed=settings.bleed_mm, ppi=settings.ppi, extra_css=(colour_profile,),
                  output_profile=profile.path, max_ink=settings.max_ink,
                  pages_multiple_of=BINDING_MULTIPLE[settings.binding])


def _registration_colour(pdf: pikepdf.Pdf) -> pikepdf.Array:
    """The 'All' separation: marks printed on every plate, as PDF/X expects for crop marks."""
    tint = pdf.make_indirect(pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1))
    return pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, tint])


def _crop_marks(trim: tuple[float, float, float, float], offset: float) -> bytes:
    left, bottom, right, top = trim
    gap, length = offset * MM, CROP_MARK_LENGTH * MM
    lines = []
    for x, y, sx, sy in ((left, bottom, -1, -1), (right, bottom, 1, -1), (left, top, -1, 1), (right, top, 1, 1)):
        lines.append(f"{x + sx * gap:.3f} {y:.3f} m {x + sx * (gap + length):.3f} {y:.3f} l S")
        lines.append(f"{x:.3f} {y + sy * gap:.3f} m {x:.3f} {y + sy * (gap + length):.3f} l S")
    return ("q /Registration CS 1 SCN %.2f w 0 J [] 0 d\n%s\nQ\n" % (CROP_MARK_WIDTH, "\n".join(lines))).encode()


RGB_OPERATORS = {"rg": "k", "RG": "K"}


def theme_cmyk(theme: Theme) -> dict[tuple[int, int, int], tuple[float, ...]]:
    """Each theme colour's RGB value mapped to its CMYK value; white and black are paper and 100% K."""
    colours = {(255, 255, 255): (0.0, 0.0, 0.0, 0.0), (0, 0, 0): (0.0, 0.0, 0.0, 1.0)}
    for colour in theme.colours.values():
        colours[colour.rgb_bytes] = tuple(part / 100 for part in colour.cmyk)
    return colours


def _recolour(stream: pikepdf.Object, colours: dict[tuple[int, int, int], tuple[float, ...]], seen: set) -> None:
    """Replace RGB colours that are theme colours (WeasyPrint draws SVG in RGB) with their CMYK values.

    Any other RGB colour is left as it is, for the preflight to report.
    """
    if stream.objgen in seen:
        return
    seen.add(stream.objgen)
    instructions = pikepdf.parse_content_stream(stream)
    changed = False
    for index, (operands, operator) in enumerate(instructions):
        if str(operator) in RGB_OPERATORS and len(operands) == 3:
            rgb = tuple(round(float(value) * 255) for value in operands)
            if rgb in colours:
                cmyk = [pikepdf.Object.parse(f"{part:g}".encode()) for part in colours[rgb]]
                instructions[index] = pikepdf.ContentStreamInstruction(
                    cmyk, pikepdf.Operator(RGB_OPERATORS[str(operator)]))
                changed = True
    if changed:
        stream.write(pikepdf.unparse_content_stream(instructions))
    resources = stream.get("/Resources")
    if resources is not None and "/XObject" in resources:
        for xobject in resources.XObject.values():
            if xobject.get("/Subtype") == "/Form":
                _recolour(xobject, colours, seen)


def finish_press_pdf(pdf: pikepdf.Pdf, profile: OutputProfile, bleed: float,
                     colours: dict[tuple[int, int, int], tuple[float, ...]]) -> None:
    """Set the OutputIntent's identifier, theme colours in CMYK, room outside the bleed and crop marks."""
    offset = max(bleed, CROP_MARK_MIN_OFFSET)
    slug = (offset + CROP_MARK_LENGTH + 1) * MM
    for intent in pdf.Root.get("/OutputIntents", []):
        intent.OutputConditionIdentifier = pikepdf.String(profile.identifier)
        intent.Info = pikepdf.String(profile.condition or profile.identifier)
        intent.RegistryName = pikepdf.String(profile.registry)
        if profile.condition:
            intent.OutputCondition = pikepdf.String(profile.condition)
    registration = _registration_colour(pdf)
    seen: set = set()
    for page in pdf.pages:
        for content in ([page.obj.Contents] if isinstance(page.obj.Contents, pikepdf.Stream) else page.obj.Contents):
            _recolour(content, colours, seen)
        resources_xobjects = page.obj.Resources.get("/XObject", {})
        for xobject in resources_xobjects.values():
            if xobject.get("/Subtype") == "/Form":
                _recolour(xobject, colours, seen)
        resources = page.obj.Resources
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        resources.ColorSpace.Registration = registration
        trim = [float(value) for value in page.obj.TrimBox]
        page.obj.BleedBox = pikepdf.Array([trim[0] - bleed * MM, trim[1] - bleed * MM,
                                           trim[2] + bleed * MM, trim[3] + bleed * MM])
        page.obj.MediaBox = pikepdf.Array([trim[0] - slug, trim[1] - slug, trim[2] + slug, trim[3] + slug])
        if "/CropBox" in page.obj:
            del page.obj["/CropBox"]
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"Q\n" + _crop_marks(tuple(trim), offset)))


def _identifier(project: Project, rendition) -> bytes:
    """The render's identifier without the folders the project and the package live in: PDF/X-4's
    XMP document id is derived from it, and moving a project must not change the PDF."""
    text = rendition.html
    for root, name in ((PACKAGE_ROOT, "package:"), (project.root, "project:")):
        text = text.replace(root.resolve().as_uri(), name).replace(os.path.relpath(root, project.dist_dir), name)
    return hashlib.sha256(text.encode()).hexdigest()[:32].encode()


def _write_print(project: Project, rendition, target: Target) -> list[Output]:
    settings = project.config.print
    profile, issues = output_profile(project)
    raise_if_errors(issues)
    colours = theme_cmyk(rendition.theme)
    # No object streams: PDF/X-1a and X-3 are PDF 1.4, which has none.
    pdf = rendition.write(_identifier(project, rendition), object_streams=False,
                          finish=lambda pdf: finish_press_pdf(pdf, profile, settings.bleed_mm, colours),
                          pdf_variant=STANDARDS[settings.standard], output_intent="device-cmyk")
    return [Output(target.output_name(project.slug), pdf, target.purpose)]


def mark_not_passed(pdf_bytes: bytes, note: str) -> bytes:
    """For --force: the file says in its document information that it did not pass preflight."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pdf.trailer.Info.PublicationPreflight = pikepdf.String(note)
        return save_reproducibly(pdf, object_streams=False)


PRINT = register(Target("print", "{slug}-print.pdf", "the print-ready PDF/X file for the print shop",
                        Layout(colour_space="cmyk", bleed=3.0, ppi=300), _write_print, configure=print_layout),
                 default=True)


def font_dirs(project: Project) -> list:
    return [path for path in (project.root / "assets" / "fonts", BUILTIN_ASSETS / "fonts") if path.is_dir()]


def measure_ink(project: Project, pdf_bytes: bytes):
    """The preflight's ink check, which the build starts early to run beside the other editions."""
    from .preflight import check_ink, ink_cache_dir

    return check_ink(pdf_bytes, project.config.print.max_ink, ink_cache_dir(project))


def run_preflight(project: Project, rendition, outputs: list[Output], force: bool,
                  pages_pdf: Callable[[], bytes | None] | None = None, ink=None):
    """Preflight the print PDF among `outputs`. Returns the report and the outputs with the report
    added; with --force and errors, the print PDF is marked as not passed. `pages_pdf` gives the PDF
    that pictures the pages in the report, once the checks are done: the RGB edition drawn from the same
    layout shows the same pages and renders six times faster than the 300 ppi CMYK print file; `ink`
    is the ink check's Future, if started already."""
    from dataclasses import replace

    from .preflight import preflight
    from .preflight_report import report_outputs

    name = PRINT.output_name(project.slug)
    pdf = next(output for output in outputs if output.name == name)
    report = replace(preflight(project, rendition, pdf.data, font_dirs(project), ink), forced=force)
    if force and not report.passed:
        note = f"not passed: {len(report.errors)} errors, see {project.slug}-preflight.html"
        outputs = [replace(output, data=mark_not_passed(output.data, note)) if output is pdf else output
                   for output in outputs]
    pictured = pages_pdf() if pages_pdf else None
    return report, outputs + report_outputs(project.slug, project.config.title, report, pictured or pdf.data)


def preflight_only(root: Path):
    """`publication preflight`: lay out and finish the print PDF in memory and write only the report."""
    from .build import render
    from .content import load_project
    from .errors import BuildFailed
    from .output import write_outputs
    from .preflight import failed_report
    from .preflight_report import report_outputs

    project, issues = load_project(root)
    theme = load_theme(project.config.theme, [project.root / "assets", BUILTIN_ASSETS])
    try:
        rendition = render(project, theme, print_layout(project))
    except BuildFailed as failed:
        report = failed_report(project, failed.issues)
        outputs = report_outputs(project.slug, project.config.title, report, None)
        return report, write_outputs(project.dist_dir, outputs)
    report, outputs = run_preflight(project, rendition, _write_print(project, rendition, PRINT), force=False)
    reports = [output for output in outputs if output.name.endswith(REPORT_SUFFIXES)]
    return report, write_outputs(project.dist_dir, reports)


REPORT_SUFFIXES = ("-preflight.json", "-preflight.html")
