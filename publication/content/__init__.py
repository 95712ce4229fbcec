"""Content: a project loaded and validated (`project.load_project`), and each article's Markdown
rendered to an HTML fragment with its figures (`markdown.render_article`).

Imports `config` and `core`. Content is data: it is escaped, never executed as a template.
"""
