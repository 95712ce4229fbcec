"""Themes: the brand colours (each defined once, in CMYK and RGB), stylesheets, fonts and logo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from ..core.files import display, is_inside, read_text
from ..core.problems import Code, Problem, error, raise_if_errors
from .models import Model, validate
from .sourcemap import load_yaml


class Colour(Model):
    cmyk: tuple[float, float, float, float] = Field(description="Percentages of cyan, magenta, yellow, black.")
    rgb: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", description="The screen colour, as #rrggbb.")

    @property
    def rgb_bytes(self) -> tuple[int, int, int]:
        """The screen colour as red, green and blue from 0 to 255."""
        return tuple(int(self.rgb[i:i + 2], 16) for i in (1, 3, 5))

    @field_validator("cmyk")
    @classmethod
    def _percentages(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 <= part <= 100 for part in value):
            raise ValueError("each CMYK value is a percentage from 0 to 100")
        return value


class ThemeFile(Model):
    name: str
    colours: dict[str, Colour]
    stylesheets: list[str] = Field(min_length=1)
    logo: str | None = None


@dataclass(frozen=True)
class Theme:
    name: str
    directory: Path
    colours: dict[str, Colour]
    stylesheets: tuple[Path, ...]
    logo: Path | None

    def css_properties(self, colour_space: str) -> dict[str, str]:
        properties = {}
        for name, colour in self.colours.items():
            if colour_space == "cmyk":
                c, m, y, k = (f"{part / 100:g}" for part in colour.cmyk)
                properties[f"--{name}"] = f"device-cmyk({c} {m} {y} {k})"
            else:
                properties[f"--{name}"] = colour.rgb
        return properties


def load_theme(name: str, search: list[Path]) -> Theme:
    """Find `themes/<name>/theme.yml` under the project's assets first, then the built-in ones."""
    for assets in search:
        directory = assets / "themes" / name
        if (directory / "theme.yml").is_file():
            break
    else:
        known = sorted({p.name for a in search for p in (a / "themes").glob("*") if (p / "theme.yml").is_file()})
        raise_if_errors([error("content/publication.yml", None, f"theme '{name}' not found; "
                               f"available themes: {', '.join(known) or 'none'}", Code.THEME_MISSING)])
    shown = f"assets/themes/{name}/theme.yml"
    text, issues = read_text(directory / "theme.yml", shown)
    raise_if_errors(issues)
    doc, issues = load_yaml(text, shown)
    spec = None
    if doc is not None:
        spec, more = validate(ThemeFile, doc, shown)
        issues += more
    raise_if_errors(issues)
    stylesheets = []
    problems: list[Problem] = []
    # A theme may use the fonts, logos and CSS of the assets folder it lives in, and nothing beyond.
    assets = directory.parent.parent.resolve()
    outside = "is outside {}/; keep the theme's files in the assets folder".format(display(assets, assets.parent))
    for index, sheet in enumerate(spec.stylesheets):
        path = (directory / sheet).resolve()
        if not is_inside(path, [assets]):
            problems.append(error(shown, doc.line_of(("stylesheets", index)), f"stylesheet '{sheet}' {outside}",
                                  Code.THEME_OUTSIDE))
        elif not path.is_file():
            problems.append(
                error(shown, doc.line_of(("stylesheets", index)), f"stylesheet '{sheet}' not found", Code.CSS_MISSING)
            )
        stylesheets.append(path)
    logo = (directory / spec.logo).resolve() if spec.logo else None
    if logo and not is_inside(logo, [assets]):
        problems.append(error(shown, doc.line_of(("logo",)), f"logo '{spec.logo}' {outside}", Code.THEME_OUTSIDE))
    elif logo and not logo.is_file():
        problems.append(error(shown, doc.line_of(("logo",)), f"logo '{spec.logo}' not found", Code.LOGO_MISSING))
    for colour in spec.colours:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", colour):
            problems.append(
                error(
                    shown,
                    doc.line_of(("colours", colour)),
                    f"colour name '{colour}' must be lower case letters, digits and '-'",
                    Code.COLOUR_NAME,
                )
            )
    raise_if_errors(problems)
    return Theme(spec.name, directory, dict(spec.colours), tuple(stylesheets), logo)
