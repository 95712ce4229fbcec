"""The live preview: a warm builder in one thread (`model.py`), a small web server on 127.0.0.1
(`server.py`) and the page that shows spreads, guides and findings (`static/`)."""
