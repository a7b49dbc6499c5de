"""Sphinx extension: drop repeated ``<script>`` entries from each page.

Jupyter Book 1.0.4 with sphinx-thebe 0.3.1 emits the thebe configuration script (and the togglebutton one)
twice per page (once with filename None, once with ''), so Sphinx does not see them as equal; the second ``const THEBE_JS_URL = ...`` is a SyntaxError in the browser console
(``tests/test_browser.py`` found it). Keeping the first of equal scripts (same source, same attributes)
removes the error and changes nothing else.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # an inline script comes once with filename None and once with '': treat both as "no file"
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
