"""Where the built-in data lives: the Jinja2 layouts, the assets (CSS, fonts, themes, logos, ICC
profiles) and the starter files of `publication new`.

Why a module of its own: every layer needs these folders, so they are named once, here, at the
bottom layer; this module imports nothing from the rest of `publication`.

Why `publication/_builtin/`: a wheel holds only what is inside the package, and the tool must
build a new publication from any folder after `pip install` / `pipx install` (no checkout).
The layouts and assets stay at the top of the repository, where the design card names them and
where the sample in `content/` builds from; `publication/_builtin/layouts` and
`publication/_builtin/assets` are symbolic links to them (`../../layouts`, `../../assets`):
- an editable install (`pip install -e .`) imports the package from the checkout, so the links
  lead to the top-level folders themselves;
- `python -m build` copies the files behind the links into the sdist, and the wheel built from
  it holds real files (the globs under `[tool.setuptools.package-data]` in pyproject.toml pick
  them up); tests/test_wheel.py installs such a wheel into a fresh venv and builds with it.
The starter files have no other home, so `publication/_builtin/starter/` is a real folder.

The paths are resolved (symbolic links followed), so they compare equal to any resolved path
below them (confinement checks with `is_relative_to`). In an editable install they are the
top-level folders of the checkout; in an installed wheel they are inside site-packages. Never
let them into an output's bytes: write BUILTIN_ROOT as a fixed name instead (a build must give
the same bytes whichever way, and wherever, the tool was installed).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The `publication` package folder."""

BUILTIN_LAYOUTS = (PACKAGE_DIR / "_builtin" / "layouts").resolve()
"""The Jinja2 layouts a project uses where it has no layout of its own by that name."""

BUILTIN_ASSETS = (PACKAGE_DIR / "_builtin" / "assets").resolve()
"""css/, fonts/, themes/, logos/, icc/: what a project uses where its own assets/ has none."""

BUILTIN_LOCALE = (PACKAGE_DIR / "_builtin" / "locale").resolve()
"""The catalogs of the tool's own words in other languages than English (publication/core/i18n.py)."""

BUILTIN_ROOT = BUILTIN_ASSETS.parent
"""The folder that holds both BUILTIN_LAYOUTS and BUILTIN_ASSETS: the checkout's root in an
editable install (as the package root was before the built-in data became package data, so the
sample's outputs keep their bytes), `publication/_builtin` in an installed wheel."""

STARTER_DIR = (PACKAGE_DIR / "_builtin" / "starter").resolve()
"""The plain files `publication new` fills in: publication.yml, an article, gitignore, ..."""

__all__ = ["BUILTIN_ASSETS", "BUILTIN_LAYOUTS", "BUILTIN_LOCALE", "BUILTIN_ROOT", "PACKAGE_DIR", "STARTER_DIR"]
