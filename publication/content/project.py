"""Stage 1: read a project's content (publication.yml and the articles) and validate it."""

from __future__ import annotations

from pathlib import Path

from ..config.models import FrontMatter, Publication, rename_deprecated_keys, validate
from ..config.sourcemap import load_yaml
from ..core.files import display, read_text, resolve_local_file
from ..core.i18n import is_known_language, languages
from ..core.problems import Code, Problem, error, raise_if_errors, warning
from .markdown import render_article
from .sources import CONFIG_NAME, ArticleSource, Project


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split '---' front matter from the body. Returns (yaml or None, body, body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    return None, text, 1


def _load_article(path: Path, shown: str) -> tuple[ArticleSource | None, list[Problem]]:
    text, issues = read_text(path, shown)
    if text is None:
        return None, issues
    if not text.strip():
        return None, [error(shown, 1, "the article is empty; start it with front matter "
                            "('---', 'title: ...', '---') followed by the text", Code.EMPTY)]
    front_text, body, body_line = split_front_matter(text)
    if front_text is None:
        hint = "it never ends: add a line '---' after the front matter" if text.startswith("---") else \
            "start the file with a line '---', then 'title: ...', then '---'"
        return None, [error(shown, 1, f"the article has no front matter; {hint}", Code.NO_FRONT_MATTER)]
    doc, issues = load_yaml(front_text, shown, line_offset=1)
    if doc is None:
        return None, issues
    front, more = validate(FrontMatter, doc, shown)
    issues += more
    if front is None:
        return None, issues
    return ArticleSource(path, shown, front, body, body_line), issues


def _body_issues(unconfigured: Project) -> list[Problem]:
    """The Markdown checks (photos, blocks) that the build would run next, so that a broken
    publication.yml does not hide the problems in the articles until it is fixed."""
    issues: list[Problem] = []
    for article in unconfigured.articles:
        issues += render_article(article, unconfigured)[1]
    return issues


def _listed_anyway(doc) -> list[str] | None:
    """The article list of a publication.yml that failed validation, so its articles are checked too."""
    listed = doc.data.get("articles") if doc is not None and isinstance(doc.data, dict) else None
    if isinstance(listed, list) and all(isinstance(name, str) for name in listed):
        return listed
    return None


def _language_problems(config: Publication, doc, shown: str) -> list[Problem]:
    """A language the tool cannot print its own words or dates in is said at once, not found in the PDF."""
    line = doc.line_of(("language",), value=True)
    if not is_known_language(config.language):
        return [warning(shown, line, f"language '{config.language}' is not a language code that dates can be "
                        "written in; dates and the tool's own words are printed in English. Use a code such as "
                        "'en', 'nl', 'de' or 'en-GB'", Code.UNKNOWN_LANGUAGE)]
    if config.language.split("-")[0] not in languages():
        return [warning(shown, line, f"the tool's own words (the colofon's labels, 'Photo:' before a credit) have "
                        f"no translation into '{config.language}' yet ({', '.join(languages())} have one), so "
                        "they are printed in English; set the colofon's labels under 'colofon.labels'",
                        Code.UNKNOWN_LANGUAGE)]
    return []


def load_project(root: Path) -> tuple[Project, list[Problem]]:
    """Read and validate everything under `root`/content. Raises BuildFailed on errors."""
    root = root.resolve()
    content_dir = root / "content"
    config_path = content_dir / CONFIG_NAME
    shown = display(config_path, root)
    if not config_path.is_file():
        raise_if_errors(
            [
                error(
                    shown,
                    None,
                    f"no {CONFIG_NAME} found in {content_dir}; run the command "
                    "in a publication folder, or create one with 'publication new FOLDER'",
                    Code.NO_PROJECT,
                )
            ]
        )
    text, issues = read_text(config_path, shown)
    config = doc = None
    if text is not None:
        doc, issues = load_yaml(text, shown)
        if doc is not None:
            issues += rename_deprecated_keys(doc, shown)
            config, more = validate(Publication, doc, shown)
            issues += more
    if config is not None:
        issues += _language_problems(config, doc, shown)
    names = list(config.articles) if config else _listed_anyway(doc)
    if names is None:
        raise_if_errors(issues)
        raise AssertionError("unreachable: validation failed without an error")

    articles: list[ArticleSource] = []
    listed: set[Path] = set()
    for index, name in enumerate(names):
        line = doc.line_of(("articles", index))
        if Path(name).name != name or not name.endswith(".md"):
            issues.append(
                error(
                    shown,
                    line,
                    f"article '{name}' must be the name of a .md file in content/, without folders",
                    Code.BAD_ARTICLE_NAME,
                )
            )
            continue
        path = content_dir / name
        if path in listed:
            issues.append(
                error(shown, line, f"article '{name}' is listed twice; remove one of them", Code.DUPLICATE_ARTICLE)
            )
            continue
        listed.add(path)
        if not path.is_file():
            issues.append(
                error(
                    shown,
                    line,
                    f"article '{name}' is listed but content/{name} does not exist; "
                    "create the file or remove it from 'articles'",
                    Code.MISSING_ARTICLE,
                )
            )
            continue
        article, more = _load_article(path, display(path, root))
        issues += more
        if article is not None:
            articles.append(article)
    for path in sorted(content_dir.glob("*.md")):
        if path not in listed:
            issues.append(
                warning(
                    display(path, root),
                    None,
                    f"'{path.name}' is not listed under 'articles' in "
                    f"{shown}, so it is left out; add it to the list to include it",
                    Code.UNLISTED_ARTICLE,
                )
            )
    for key in ("cover", "back_cover") if config else ():
        photo = getattr(config, key).photo
        if photo:
            _, problem = resolve_local_file(photo, content_dir, root)
            if problem:
                issues.append(error(shown, doc.line_of((key, "photo"), value=True), f"photo {problem}", Code.PHOTO))
    if config is None:
        issues += _body_issues(Project(root, content_dir, None, shown, tuple(articles)))
    raise_if_errors(issues)
    photo_lines = {key: doc.line_of((key, "photo"), value=True) for key in ("cover", "back_cover")}
    return Project(root, content_dir, config, shown, tuple(articles), photo_lines), issues
