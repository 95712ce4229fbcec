"""publication: structured content and Jinja2 layouts to a print-ready PDF brochure."""

__version__ = "0.1.0"
