"""The notebooks seen from outside: their list and their ``parameters`` cell.

Each notebook in ``notebooks/`` is a jupytext percent file whose cell tagged ``parameters`` holds plain
assignments with a trailing comment saying what the parameter means. This module reads that cell without
running the notebook: the default values (by executing the cell alone, it holds only literals), the meaning
of each parameter (its comment, or the shared ``GLOSSARY`` for the paper's symbols) and the values it may
take (``allowed``). The rerun page of the book and the claims registry (``lib.pipeline.claims``) build on it.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import re
import tokenize
from pathlib import Path
from typing import Any

from ..core import paths
from .profiles import PROFILES
from ..core.validate import ParameterError

# Meaning of parameters that several notebooks share (paper notation), used where a notebook's parameter
# line carries no comment of its own.
GLOSSARY: dict[str, str] = {
    "N": "input dimension of the student",
    "D": "latent dimension (the paper: 500)",
    "K": "hidden units of the student (the paper: 2)",
    "M": "hidden units of the teacher (the paper: 2)",
    "lr": "learning rate eta (the paper: 0.2)",
    "seed": "seed of every random draw (same seed, same numbers)",
    "runs": "independent SGD runs averaged",
    "f": "folding function, X = f(CF/sqrt(D))",
    "g": "activation of student and teacher",
    "alpha": "spread of the mixture means, mu_k ~ U[-alpha, alpha)",
    "m": "number of mixture components",
    "profile": "parameter profile whose records are collected",
    "laws": "latent laws for Lemma V.3, each [name, {parameters}]",
    "projection_samples": "Monte Carlo samples per dimension in the projection check",
}


def _choices(name: str) -> str:
    from ..core.functions import ACTIVATIONS, FOLDS
    from ..core.inputs import DISTRIBUTIONS

    table = {"fold": FOLDS, "activation": ACTIVATIONS, "dist": DISTRIBUTIONS, "profile": [*PROFILES, "book"],
             "variant": ("coordinate", "shared")}
    return ", ".join(map(str, table[name]))


# Allowed values by parameter name, where the type alone does not say it; the rest follows the default's type.
ALLOWED: dict[str, str] = {
    "f": "one of {fold}", "folds": "list of: {fold}", "functions": "list of: {fold}, quartic",
    "g": "one of {activation}", "activations": "list of: {activation}", "dist": "one of {dist}",
    "variant": "one of {variant}", "profile": "one of {profile}", "results_from": "auto or compute",
    "seed": "integer >= 0", "K": "integer >= 1", "M": "integer >= 1", "N": "integer >= 1", "D": "integer >= 1",
    "m": "integer >= 1", "runs": "integer >= 1", "lr": "number > 0", "alpha": "number >= 0",
    "alphas": "list of numbers >= 0", "ms": "list of integers >= 1",
    "pairs": "list of [u, v] pairs, each one of {fold}",
    "laws": "list of [dist, {{parameters}}] with dist one of {dist}",
}


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One assignment of a notebook's ``parameters`` cell."""

    name: str
    default: Any
    meaning: str
    allowed: str


def notebook_stems() -> list[str]:
    """Stems of every notebook in ``notebooks/`` (chapters and generated pages), sorted."""
    return sorted(p.stem for p in paths.NOTEBOOKS.glob("*.py"))


def source_path(notebook: str | Path) -> Path:
    """Path of a notebook given its stem ('02_hidden_manifold') or a path to its .py file."""
    p = Path(notebook)
    if p.suffix == ".py" and p.is_file():
        return p.resolve()
    candidate = paths.NOTEBOOKS / f"{p.stem}.py"
    if candidate.is_file():
        return candidate
    raise ParameterError(f"notebook={str(notebook)!r} not found; known: {', '.join(notebook_stems())}")


def source_sha256(notebook: str | Path) -> str:
    """SHA-256 of the notebook's text: any edit of the notebook changes it."""
    return hashlib.sha256(source_path(notebook).read_bytes()).hexdigest()


def parameters_source(notebook: str | Path) -> str:
    """Source of the cell tagged ``parameters`` (empty if the notebook has none).

    Read from the percent-format text directly (a cell starts at a line ``# %%``; the parameters cell's header
    carries the tag), so that the parameters can be read where jupytext is not installed (tested to agree
    with jupytext on every notebook)."""
    lines = source_path(notebook).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("# %%")]
    for i, j in zip(starts, starts[1:] + [len(lines)]):
        header = lines[i]
        if "[markdown]" not in header and re.search(r"tags=\[[^]]*[\"']parameters[\"']", header):
            return "\n".join(lines[i + 1:j]).strip("\n")
    return ""


def parameter_defaults(notebook: str | Path) -> dict[str, Any]:
    """Default values of the notebook's parameters, by executing its ``parameters`` cell alone."""
    source = parameters_source(notebook)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"{source_path(notebook).name}:parameters", "exec"), {}, namespace)  # literals only
    names = _assigned_names(source)
    return {name: namespace[name] for name in names}


def _assigned_names(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names.extend(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _comments(source: str) -> dict[int, str]:
    """Comment text by line number (1-based) in ``source``."""
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def allowed_values(name: str, default: Any) -> str:
    """Values a parameter may take: from ``ALLOWED`` by name, else from the type of its default."""
    if name in ALLOWED:
        text = ALLOWED[name]
        for key in ("fold", "activation", "dist", "variant", "profile"):
            if "{" + key + "}" in text:
                text = text.replace("{" + key + "}", _choices(key))
        return text.replace("{{", "{").replace("}}", "}")
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, float):
        return "number"
    if isinstance(default, str):
        return "string"
    if isinstance(default, (list, tuple)) and default:
        kinds = {type(x).__name__ for x in default}
        word = {"int": "integers", "float": "numbers", "str": "strings", "list": "lists", "dict": "mappings"}
        return "list of " + " or ".join(word.get(k, k) for k in sorted(kinds))
    return type(default).__name__


def parameter_docs(notebook: str | Path) -> list[Parameter]:
    """Every parameter of the notebook with its default, meaning and allowed values, in cell order.

    The meaning is the comment on the assignment's lines (first one), else ``GLOSSARY[name]``, else ''.
    """
    source = parameters_source(notebook)
    defaults = parameter_defaults(notebook)
    comments = _comments(source)
    docs = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for t in targets:
            if not isinstance(t, ast.Name):
                continue
            lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            meaning = next((comments[i] for i in lines if i in comments), "") or GLOSSARY.get(t.id, "")
            docs.append(Parameter(t.id, defaults[t.id], meaning, allowed_values(t.id, defaults[t.id])))
    return docs


def profile_values(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """What each profile sets for this notebook: {profile: {parameter: value}} (``quick`` = defaults)."""
    stem = source_path(notebook).stem
    return {name: dict(sets.get(stem, {})) for name, sets in PROFILES.items()}


def library_sha256() -> str:
    """Hash of the source of the whole library (every ``lib/**/*.py``): the claim records' fingerprint."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(paths.LIB.rglob("*.py")):
        h.update(str(path.relative_to(paths.LIB)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
