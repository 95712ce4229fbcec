"""Configuration: the schema of publication.yml and front matter (pydantic models, with the JSON
Schemas editors use), YAML read with a line for every value, themes, page sizes and page layouts.

Imports only `core`. Nothing here reads content or lays anything out.
"""
