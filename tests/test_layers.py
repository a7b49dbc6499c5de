"""The library's folders are its layers, and imports point down only:

    core  <-  measures  <-  bench  <-  studies  <-  pipeline  <-  lib/__init__, lib/__main__

A module may import its own layer (without cycles) and any layer below, never one above. The test reads the
import statements of every module (lazy imports inside functions included) with ``ast``."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"
RANK = {"core": 0, "measures": 1, "bench": 2, "studies": 3, "pipeline": 4}


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Dotted names of the lib modules (or packages) that the file at ``path`` imports (``source``: its text,
    read from ``path`` when not given)."""
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "lib":
                continue
            for alias in node.names:                       # `from lib.core import cache` imports lib.core.cache
                sub = f"{target}.{alias.name}"
                found.add(sub if _exists(sub) else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "lib")
    return found


def _exists(dotted: str) -> bool:
    p = LIB.parent.joinpath(*dotted.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _layer(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


MODULES = sorted(p for p in LIB.rglob("*.py"))


def test_every_module_is_in_a_layer():
    loose = [p.name for p in LIB.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert loose == [], f"modules outside the layers: {loose}"
    assert {p.name for p in LIB.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(RANK)


def _upward(path: Path, source: str | None = None) -> list[str]:
    layer = _layer(_module_name(path))
    if layer is None:                                    # lib/__init__.py, lib/__main__.py: the top
        return []
    return sorted(t for t in _imports(path, source) if _layer(t) and RANK[_layer(t)] > RANK[layer])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIB)))
def test_imports_point_down(path):
    assert not _upward(path), f"{_module_name(path)} imports a layer above it: {_upward(path)}"


def test_no_import_cycles():
    graph = {_module_name(p): {t for t in _imports(p) if _layer(t)} for p in MODULES if _layer(_module_name(p))}
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(node):] + [node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_the_checker_sees_an_upward_import():
    """The rule can fail: a core module importing a study, relatively, absolutely or lazily, is reported."""
    probe = LIB / "core" / "probe.py"                     # never written: only its text is parsed
    assert _upward(probe, "from ..studies import style\n") == ["lib.studies.style"]
    assert _upward(probe, "def f():\n    from lib.pipeline.bundle import write\n") == ["lib.pipeline.bundle"]
    assert _upward(probe, "import lib.measures.kl\n") == ["lib.measures.kl"]
    assert _upward(probe, "from . import cache\n") == []
