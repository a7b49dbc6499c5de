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
