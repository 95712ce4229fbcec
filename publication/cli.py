"""The command line: a thin layer that calls the build and reports, never a traceback."""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import traceback
from pathlib import Path
from typing import Iterator

import click
from rich.console import Console

from .core.problems import WEASYPRINT_CODES, BuildFailed, Problem

# Piped or logged (not a terminal), a message stays on one line, however long: no hard wraps mid-sentence.
console = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())


def _print_issues(issues: tuple[Problem, ...] | list[Problem]) -> None:
    for issue in sorted(issues, key=lambda i: (i.path, i.line or 0)):
        style = "red" if issue.is_error else "yellow"
        console.print(str(issue), style=style, markup=False, soft_wrap=True)


@contextlib.contextmanager
def photo_progress() -> Iterator[None]:
    """While photos are prepared (a cold build, new photos): which one, how many are left. On a
    terminal only, so output that is piped, logged or tested stays as it is (rich's own test, `is_terminal`,
    says yes to CI services that set FORCE_COLOR or TTY_COMPATIBLE; stderr itself is asked here)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .render.images import PHOTO_PROGRESS

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                   transient=True)
    task = None

    def update(name: str, done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("Preparing photos", total=total)
        left = total - done
        bar.update(task, total=total, completed=done, description=f"Preparing photos ({left} left)" + (
            f", done: {name}" if name else ""))
        bar.refresh()  # every step shown, however fast the next comes
        if left == 0:
            bar.stop()
            task = None

    token = PHOTO_PROGRESS.set(update)
    try:
        yield
    finally:
        PHOTO_PROGRESS.reset(token)
        bar.stop()


def reporting(func):
    """Turn build failures into messages and exit code 1; --debug shows the traceback."""

    @functools.wraps(func)
    def wrapper(*args, debug: bool = False, **kwargs):
        try:
            return func(*args, **kwargs)
        except BuildFailed as failed:
            _print_issues(failed.issues)
            errors = len(failed.errors)
            written = getattr(failed, "written", ())
            if getattr(failed, "summary", ""):
                console.print(failed.summary, style="bold red", markup=False)
            unchanged = "Nothing else in dist/ was changed" if written else "Nothing in dist/ was changed"
            failed_what = "Check" if func.__name__ == "check" else "Build"  # `check` builds nothing
            console.print(f"{failed_what} failed: {errors} error{'s' * (errors != 1)}. {unchanged}.", style="bold red")
            for path in written:
                console.print(f"  wrote {path.name} (the preflight report)", markup=False)
            sys.exit(1)
        except KeyboardInterrupt as interrupt:
            written = getattr(interrupt, "written", None)
            if written:
                console.print(f"Interrupted after dist/ was updated: all {len(written)} files were written.",
                              style="bold red")
            else:
                console.print("Interrupted. Nothing in dist/ was changed.", style="bold red")
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if debug:
                traceback.print_exc()
            console.print(f"Internal error: {type(exc).__name__}: {exc}", style="bold red", markup=False)
            console.print("Nothing in dist/ was changed. Run again with --debug to see the details.")
            sys.exit(1)

    wrapper = click.option("--debug", is_flag=True, help="Show the full traceback of an internal error.")(wrapper)
    return wrapper


class EditionChoice(click.Choice):
    """The names in the editions table, read when --target is parsed or its help shown: importing the
    editions loads WeasyPrint, which `check`, `new` and `--help` should not wait for."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self):  # noqa: D102 - click's attribute
        from .editions import EDITIONS

        return tuple(EDITIONS)

    @choices.setter
    def choices(self, value) -> None:
        pass


project_argument = click.argument("project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
                                  required=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="publication")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Turn YAML and Markdown content into a print-ready PDF brochure."""
    if ctx.invoked_subcommand == "build":
        # A build's start-up imports WeasyPrint and the build (--target is parsed against the editions):
        # objects that live as long as the process, which the collector would scan again and again
        # (0.08 s). `build` freezes them and turns it back on; so does the end of the command, whatever happens.
        gc.disable()
        ctx.call_on_close(gc.enable)


@main.command()
@project_argument
@click.option("--strict", is_flag=True, help="Treat warnings (WeasyPrint's included) as errors.")
@click.option("--target", "-t", "targets", multiple=True, type=EditionChoice(),
              help="Build only this edition (repeatable); default: all but the proof.")
@click.option("--force", is_flag=True, help="Write the print PDF even if preflight finds errors; it is marked "
              "as not passed.")
@reporting
def build(project_dir: Path, strict: bool, targets: tuple[str, ...], force: bool) -> None:
    """Build the publication in PROJECT_DIR (default: the current folder) into dist/."""
    from .commands.build import BuildOptions
    from .commands.build import build as run_build

    gc.freeze()  # what is imported lives as long as the process: the collector need not scan it during layout
    gc.enable()
    with photo_progress():
        result = run_build(project_dir, BuildOptions(strict=strict, targets=targets or None, force=force))
    _print_issues(result.warnings)
    if result.preflight:
        _print_preflight(result.preflight)
    folders: dict[Path, int] = {}
    for path in result.written:
        shown = path.relative_to(result.project.root)
        if len(shown.parts) > 2:  # a folder of outputs (dist/web/): one line for it
            folders[Path(*shown.parts[:2])] = folders.get(Path(*shown.parts[:2]), 0) + 1
        else:
            console.print(f"  wrote {shown}", markup=False)
    for folder, count in folders.items():
        console.print(f"  wrote {folder}/ ({count} files; {folder}/index.html is the page)"
                      if (result.project.root / folder / "index.html").is_file()
                      else f"  wrote {folder}/ ({count} files)", markup=False)
    warnings = len(result.warnings) + sum(1 for finding in (result.preflight.findings if result.preflight else ())
                                          if not finding.is_error and finding.code not in WEASYPRINT_CODES)
    console.print(f"Built {result.pages} pages in {result.seconds:.1f} s, "
                  f"{warnings} warning{'s' * (warnings != 1)}.", style="bold green")


def _print_preflight(report) -> None:
    for finding in report.findings:
        if finding.code not in WEASYPRINT_CODES:  # WeasyPrint's warnings are printed with the build's
            console.print(str(finding), style="red" if finding.is_error else "yellow", markup=False, soft_wrap=True)
    console.print(report.summary() + (" The PDF was written anyway (--force)." if report.forced and not report.passed
                                      else ""), style="bold green" if report.passed else "bold red")


@main.command()
@project_argument
@click.option("--force", is_flag=True, help="Exit 0 even when there are errors.")
@reporting
def preflight(project_dir: Path, force: bool) -> None:
    """Check the print PDF of PROJECT_DIR as a print shop would; writes only the preflight report."""
    from .commands.preflight import preflight_only

    with photo_progress():
        report, written = preflight_only(project_dir)
    _print_preflight(report)
    for path in written:
        console.print(f"  wrote {path.name}", markup=False)
    if not report.passed and not force:
        sys.exit(1)


@main.command()
@project_argument
@reporting
def check(project_dir: Path) -> None:
    """Check the content for errors without typesetting it."""
    from .commands.check import check_project

    issues = check_project(project_dir)
    _print_issues(issues)
    console.print(f"No errors; {len(issues)} warning{'s' * (len(issues) != 1)}.", style="bold green")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--language", type=click.Choice(["en", "nl", "de"]), default="en", show_default=True,
              help="The language of the publication, its settings' comments and its example article.")
@reporting
def new(folder: Path, language: str) -> None:
    """Start a new publication in FOLDER: settings, an example article, example photos."""
    from .commands.new import create_project

    try:
        written = create_project(folder, language=language)
    except BuildFailed as failed:
        _print_issues(failed.issues)
        console.print("Nothing was written.", style="bold red")
        sys.exit(1)
    for path in written:
        console.print(f"  wrote {path.relative_to(folder.resolve())}", markup=False)
    console.print(f"New publication in '{folder}'. Next: edit '{folder / 'content' / 'publication.yml'}', "
                  f"then run 'publication build {folder}'.", style="bold green", markup=False)


@main.command()
@click.argument("kind", type=click.Choice(["publication", "article"]), default="publication")
@click.option("--update", is_flag=True,
              help="Rewrite the schema files shipped in the package (after editing models.py).")
@reporting
def schema(kind: str, update: bool) -> None:
    """Print the JSON Schema of publication.yml, or of an article's front matter."""
    from .config.schema import schema_text, write_schemas

    if update:
        for path in write_schemas():
            console.print(f"  wrote {path}", markup=False)
        return
    click.echo(schema_text(kind), nl=False)


@main.command()
@project_argument
@click.option(
    "--since",
    is_flag=False,
    flag_value="last",
    default=None,
    metavar="[PREVIOUS.pdf]",
    help="Also compare with an earlier proof (alone: the last proof in dist/) and write the changed pages.",
)
@click.option("--strict", is_flag=True, help="Treat warnings (WeasyPrint's included) as errors.")
@reporting
def proof(project_dir: Path, since: str | None, strict: bool) -> None:
    """Write a proof for reviewers: watermark, version stamp, line numbers, source files."""
    from .commands.proof import make_proof

    with photo_progress():
        made = make_proof(project_dir, since, strict)
    _print_issues(made.build.warnings)
    console.print(f"  wrote {made.proof.relative_to(made.build.project.root)}", markup=False)
    if since is not None and made.previous is None:
        console.print("No earlier proof in dist/ to compare with.")
    if made.comparison:
        _print_comparison(made.comparison, made.changes)
    console.print(f"Proof of {made.build.pages} pages in {made.build.seconds:.1f} s.", style="bold green")


@main.command()
@click.argument("pdfs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "html", "json"]), default="text",
              show_default=True, help="text for reading, html with a picture of each comment's place, json for tools.")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The publication the proofs were made from, to find each comment's line today.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of the terminal.")
@reporting
def comments(pdfs: tuple[Path, ...], output_format: str, project_dir: Path, output: Path | None) -> None:
    """List the reviewers' comments in annotated proofs (PDFS) and in the live preview, merged and in
    source order. Without PDFS: the preview's comments of the --project alone."""
    from .commands.comments import as_html, as_json, as_text, collect
    from .core.dist import write_atomic

    root = project_dir.resolve() if (project_dir / "content").is_dir() else None
    if not pdfs and root is None:
        console.print(f"{project_dir} has no content/ folder: give annotated proofs (PDF files), or --project with "
                      "the publication whose preview has comments.", style="bold red", markup=False)
        sys.exit(2)
    found = collect(list(pdfs), root)
    text = {"text": as_text, "json": as_json}.get(output_format, lambda c: as_html(c, list(pdfs), root))(found)
    if output:
        write_atomic(output, text.encode("utf-8"))
        console.print(f"  wrote {output}", markup=False)
    else:
        click.echo(text, nl=False)
        sys.stdout.flush()  # the listing (stdout) before the count (stderr), in one pipe too
    stale = sum(comment.stale for comment in found)
    console.print(f"{len(found)} comment{'s' * (len(found) != 1)}" + (f", {stale} on text that has changed since"
                  if stale else "") + ".", style="bold green", markup=False)


@main.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the changed pages (default: NEW's folder, NEW-changes.pdf).",
)
@reporting
def diff(old: Path, new: Path, output: Path | None) -> None:
    """Compare two builds: what changed on which page, as a summary and a PDF of the changed pages."""
    from .commands.diff import changes_pdf, compare_files
    from .core.dist import write_atomic

    comparison = compare_files(old, new)
    written = None
    if not comparison.no_changes:
        written = output or new.with_name(f"{new.stem}-changes.pdf")
        write_atomic(written, changes_pdf(comparison, new.read_bytes()))
    _print_comparison(comparison, written)


def _print_comparison(comparison, written: Path | None) -> None:
    for line in comparison.report_lines():
        console.print(line, markup=False, soft_wrap=True)
    if written:
        console.print(f"  wrote {written}", markup=False, soft_wrap=True)


@main.command()
@project_argument
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default keeps the preview on this computer; give this "
    "computer's network address, or 0.0.0.0 for all of them (the addresses are printed), to show it to "
    "colleagues (it answers only to those addresses, and asks for a password).",
)
@click.option(
    "--password",
    envvar="PUBLICATION_PREVIEW_PASSWORD",
    default=None,
    help="The password colleagues type to see the preview and comment, with --host (default: the "
    "PUBLICATION_PREVIEW_PASSWORD environment variable, or one made up and printed at start).",
)
@reporting
def preview(project_dir: Path, port: int, host: str, password: str | None) -> None:
    """Show the brochure as it will print, in the browser, rebuilt on every save."""
    from .content.project import CONFIG_NAME, load_project
    from .preview.server import serve

    if not (project_dir / "content" / CONFIG_NAME).is_file():
        load_project(project_dir)  # reports the missing project the way a build does
    made_up = False
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            f"warning: listening on {host}, so other computers on the network can see the preview",
            style="yellow",
            markup=False,
            soft_wrap=True,
        )
        if not password:
            import secrets

            password, made_up = secrets.token_urlsafe(9), True
    else:
        password = None  # on this computer alone, no password is asked

    def ready(urls: list[str]) -> None:
        console.print(f"Preview of {project_dir.resolve()} at {' or '.join(urls)}", style="bold green", markup=False,
                      soft_wrap=True)
        if password:
            console.print(f"It asks for a password{': ' + password if made_up else ' (the one given)'}; any user name "
                          "will do. Tell it to the colleagues you share the preview with.", markup=False,
                          soft_wrap=True)
        console.print("Watching content/, layouts/ and assets/; press Ctrl-C to stop.", markup=False, soft_wrap=True)

    try:
        serve(project_dir, host, port, on_ready=ready, password=password)
    except OSError as exc:
        console.print(
            f"Cannot listen on {host}:{port}: {exc.strerror}; choose another port with --port.",
            style="bold red",
            markup=False,
        )
        sys.exit(1)


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--sheet",
    type=click.Choice(["A4", "A3"]),
    default=None,
    help="Landscape sheet size; default: the smallest that takes two pages at 100 %.",
)
@click.option(
    "--creep",
    type=click.FloatRange(0, 2),
    default=0.0,
    show_default=True,
    help="Creep compensation: mm each sheet's pages move further towards the spine.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the booklet; default: beside PDF, named <name>-booklet.pdf.",
)
@reporting
def impose(pdf: Path, sheet: str | None, creep: float, output: Path | None) -> None:
    """Impose PDF as a saddle-stitched booklet: 2-up, duplex, flip on the short edge."""
    import re

    from pikepdf import PdfError

    from .core.dist import write_atomic
    from .core.problems import BuildFailed, Code, error
    from .editions.booklet import SHEETS, sheet_for
    from .editions.booklet import impose as impose_pdf

    data = pdf.read_bytes()
    try:
        size = SHEETS[sheet] if sheet else sheet_for(data)
        booklet = impose_pdf(data, size, creep)
    except (PdfError, ValueError) as exc:
        reason = re.sub(r"^stream <[^>]*>: ", "", str(exc))  # qpdf names the in-memory stream, not the file
        raise BuildFailed(
            [
                error(
                    pdf,
                    None,
                    f"cannot read this PDF ({reason}); build it again or check that it is a complete PDF file",
                    Code.BAD_PDF,
                )
            ]
        ) from exc
    target = output or pdf.with_name(f"{pdf.stem}-booklet.pdf")
    write_atomic(target, booklet)
    console.print(
        f"Wrote {target}: {size.name} sheets; print double-sided, flip on the short edge.",
        style="bold green",
        markup=False,
    )
