"""Chapters are thin: parameters, prose, calls into lib.studies, claim checks. A function defined in a chapter
is at most a few lines (10); longer code belongs in the chapter's study module."""
import ast

import pytest

from lib.core import paths
from lib.pipeline import chapters

MAX_FUNCTION_LINES = 10
STEMS = chapters.notebook_stems()


def _functions(stem: str):
    import jupytext

    nb = jupytext.read(paths.NOTEBOOKS / f"{stem}.py")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield node.name, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("stem", STEMS)
def test_no_long_function_in_a_chapter(stem):
    long = {name: n for name, n in _functions(stem) if n > MAX_FUNCTION_LINES}
    assert not long, f"{stem} defines {long} (lines): move them to lib.studies"


def test_the_rule_sees_a_long_function(tmp_path, monkeypatch):
    (tmp_path / "x.py").write_text("# %%\ndef f():\n" + "    a = 1\n" * 11 + "    return a\n")
    monkeypatch.setattr(paths, "NOTEBOOKS", tmp_path)
    assert dict(_functions("x")) == {"f": 13}


def _shown_code_cells(stem: str) -> list[dict]:
    """The chapter's code cells a reader sees (no ``remove-input`` / ``remove-cell`` tag), as {code, where}."""
    import jupytext

    nb = jupytext.read(paths.NOTEBOOKS / f"{stem}.py")
    hidden = {"remove-input", "remove-cell"}
    return [{"code": c.source, "where": f"{stem}, cell {i}"} for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and not hidden & set(c.metadata.get("tags", []))]


@pytest.mark.parametrize("stem", STEMS)
def test_no_shown_cell_only_presents(stem):
    """The browser test's rule (a cell shown to readers that only plots, glues or displays belongs hidden) on the
    notebook sources, so that CI catches it without a browser or a book build."""
    from test_browser import presenting_cells

    assert presenting_cells(_shown_code_cells(stem)) == []


def test_the_presenting_rule_sees_a_shown_display_cell(tmp_path, monkeypatch):
    (tmp_path / "x.py").write_text('# %%\nx = 1\n\n# %%\ndisplay(Markdown("a"))\n\n'
                                   '# %% tags=["remove-input"]\ndisplay(Markdown("b"))\n')
    monkeypatch.setattr(paths, "NOTEBOOKS", tmp_path)
    from test_browser import presenting_cells

    assert [c["where"] for c in _shown_code_cells("x")] == ["x, cell 0", "x, cell 1"]
    assert len(presenting_cells(_shown_code_cells("x"))) == 1
