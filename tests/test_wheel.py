"""The tool as a user installs it: a wheel built with `python -m build`, installed into a fresh
virtual environment outside the checkout, makes a new publication and builds it from any folder.

An editable install reads the layouts and assets from the checkout, so only a real wheel shows
whether they are package data (publication/core/builtin.py says how they get there)."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

TIMEOUT = 300


def run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, f"{command} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def checkout_files() -> list[str]:
    """What a clone would hold, plus the files not committed yet: tracked and new, not ignored."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and os.path.lexists(REPO / name)]


def copy_checkout(destination: Path) -> Path:
    """A copy of the checkout with its symbolic links kept as links (the sdist must follow them)."""
    for name in checkout_files():
        source, target = REPO / name, destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return destination


def expected_data_files() -> set[str]:
    """Every built-in data file, by the name it must have in the wheel."""
    expected = set()
    for name in checkout_files():
        parts = Path(name).parts
        if parts[-1].startswith("."):
            continue  # the package-data globs take no hidden files, and none are needed
        if parts[0] in ("layouts", "assets"):
            expected.add("publication/_builtin/" + name)
        elif name.startswith(("publication/_builtin/starter/", "publication/_builtin/locale/",
                              "publication/preview/static/")) or (
                name.startswith("publication/config/schemas/") and name.endswith(".json")):
            expected.add(name)
    return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `python -m build` makes: an sdist first, then the wheel from the unpacked sdist."""
    source = copy_checkout(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("wheelhouse")
    run([sys.executable, "-m", "build", "--outdir", out, source], cwd=source)
    wheels = list(out.glob("publication-*.whl"))
    assert len(wheels) == 1, sorted(path.name for path in out.iterdir())
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed in it (and nothing else of ours).

    The dependencies (WeasyPrint, Pillow, ...) are taken from the environment that runs the tests,
    so the test needs no downloads: a .pth file puts that environment's site-packages after the
    venv's own. That adds the folders only: .pth files in them, such as the one of an editable
    install of this checkout, are not run, so `publication` can only come from the wheel."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", root], cwd=root.parent)
    python = root / "bin" / "python"
    own = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=root.parent).stdout.strip())
    (own / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in site.getsitepackages()))
    run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel], cwd=root.parent)
    return root


def clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, "COLUMNS": "200", "PYTHONNOUSERSITE": "1"}


def test_the_wheel_holds_the_layouts_assets_starter_schemas_and_preview_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = expected_data_files()
    for name in ("publication/_builtin/layouts/base.html.j2",
                 "publication/_builtin/layouts/web/index.html.j2",
                 "publication/_builtin/assets/css/brochure.css",
                 "publication/_builtin/assets/fonts/source-sans-pro/SourceSansPro-Regular.ttf",
                 "publication/_builtin/assets/fonts/source-serif-pro/SourceSerifPro-Regular.ttf",
                 "publication/_builtin/assets/icc/coated_fogra39_argyll.icc",
                 "publication/_builtin/assets/themes/regio-zwolle/theme.yml",
                 "publication/_builtin/starter/en/publication.yml",
                 "publication/_builtin/starter/nl/01-voorbeeld.md",
                 "publication/_builtin/starter/de/01-beispiel.md",
                 "publication/_builtin/locale/nl.po",
                 "publication/_builtin/locale/de.po",
                 "publication/core/builtin.py"):
        assert name in names, name
    assert sorted(expected - names) == []
    # Every Python module of the checkout's package is in the wheel: a subpackage without an
    # __init__.py would work in the checkout and be missing here.
    modules = {name for name in checkout_files() if name.startswith("publication/") and name.endswith(".py")}
    assert sorted(modules - names) == []


def test_the_installed_wheel_makes_a_new_publication_and_builds_it_anywhere(venv, tmp_path):
    python, command = venv / "bin" / "python", venv / "bin" / "publication"
    env = clean_env()
    located = run([python, "-c", "import publication; print(publication.__file__)"], cwd=tmp_path, env=env)
    package = Path(located.stdout.strip()).resolve()
    assert package.is_relative_to(venv.resolve()), package
    assert not package.is_relative_to(REPO), package
    # The wheel's requirements (weasyprint>=70,<71, ...) are met by what the venv sees. Other
    # packages of the test environment may have problems of their own: only ours count here.
    checked = subprocess.run([python, "-m", "pip", "check"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=TIMEOUT)
    assert not [line for line in checked.stdout.splitlines() if line.lower().startswith("publication ")], checked.stdout

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # German: the tool's words come from the .po catalogs in the wheel, the dates from Babel's data.
    run([command, "new", "my-brochure", "--language", "de"], cwd=scratch, env=env)
    built = run([command, "build", "my-brochure"], cwd=scratch, env=env)
    output = built.stdout + built.stderr
    assert not [line for line in output.splitlines() if line.lower().startswith("error")], output

    dist = scratch / "my-brochure" / "dist"
    names = sorted(path.name for path in dist.iterdir())
    for name in ("my-brochure.pdf", "my-brochure-screen.pdf", "my-brochure-print.pdf", "MANIFEST.txt"):
        assert name in names, names
    preflight = json.loads((dist / "my-brochure-preflight.json").read_text(encoding="utf-8"))
    assert preflight["passed"] and preflight["errors"] == 0, preflight
    for name in ("my-brochure.pdf", "my-brochure-print.pdf"):
        reader = PdfReader(dist / name)
        assert len(reader.pages) > 0
        words = " ".join(page.extract_text() for page in reader.pages)
        assert "Impressum" in words and "Herausgeber" in words and "Colofon" not in words, name
        fonts = [font.get_object() for page in reader.pages
                 for font in page["/Resources"].get("/Font", {}).values()]
        assert fonts, name
        for font in fonts:
            descriptors = [font.get("/FontDescriptor")] + [descendant.get_object().get("/FontDescriptor")
                                                           for descendant in font.get("/DescendantFonts", [])]
            descriptors = [descriptor.get_object() for descriptor in descriptors if descriptor is not None]
            assert descriptors, font
            assert all(any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
                       for descriptor in descriptors), (name, font.get("/BaseFont"))
