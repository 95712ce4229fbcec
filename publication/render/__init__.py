"""Rendering: photos prepared for their placed size, the Jinja2 layouts filled in with the content,
the stylesheets checked, and WeasyPrint's layout, as a `Rendition` every edition is finished from.

`weasy.py` is the one adapter to WeasyPrint's internals. Imports `content`, `config` and `core`.
"""
