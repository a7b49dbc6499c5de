"""Sphinx extension: offer each chapter as a notebook (.ipynb) in the page's download menu.

sphinx-book-theme lists a ``.ipynb`` download only for pages written as ``.ipynb`` or MyST-Markdown
notebooks; our chapters are jupytext ``.py`` files, so the menu offered the ``.py`` source and a PDF only.
MyST-NB writes every executed notebook to ``_build/jupyter_execute/<page>.ipynb``; this copies it next to
the page sources (``_build/html/_sources/<page>.ipynb``) and names it in the page context, where the theme's
download button picks it up. A page without an executed notebook (the prose pages) is left as it is.
"""
from __future__ import annotations

import shutil
from pathlib import Path


def _add_notebook(app, pagename, templatename, context, doctree):
    if context.get("ipynb_source") or pagename not in app.env.all_docs:
        return  # the theme already offers one, or a generated page (index, search)
    if Path(app.env.doc2path(pagename)).suffix == ".ipynb":
        return  # the source already is the notebook
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", _add_notebook, priority=500)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
