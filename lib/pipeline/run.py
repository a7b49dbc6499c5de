"""Re-execute a notebook with a profile and extra parameters through papermill.

    python -m lib run notebooks/02_hidden_manifold --profile paper -p N_values "[500, 1000]"

Writes the executed notebook and its figures to ``_output/<notebook>-<profile>/`` (git-ignored).
A bad parameter stops with one message naming it, not a traceback.

``-p NAME VALUE``: VALUE is read as YAML (``2000``, ``0.1``, ``[1, 2]``, ``erf``) and checked against the type of
the parameter's default in the notebook (:func:`coerce`): a number written ``1e-3`` (a string to YAML 1.1) is a
number, a scalar where the default is a list is a one-element list, and a value of another type stops with
the parameter's name.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from ..core import paths
from . import chapters
from .profiles import PROFILES, profile_parameters
from ..core.validate import ParameterError


def resolve_notebook(name: str) -> Path:
    p = Path(name)
    candidates = [p, p.with_suffix(".py"), paths.NOTEBOOKS / p.name, (paths.NOTEBOOKS / p.name).with_suffix(".py")]
    for c in candidates:
        if c.is_file() and c.suffix == ".py":
            return c.resolve()
    known = ", ".join(sorted(x.stem for x in paths.NOTEBOOKS.glob("*.py")))
    raise ParameterError(f"notebook {name!r} not found; known notebooks: {known}")


_NO_DEFAULT = object()


def parse_value(name: str, text: str, default: Any = _NO_DEFAULT) -> Any:
    """The value of ``-p NAME TEXT``: ``TEXT`` read as YAML, then checked against the parameter's ``default``
    (:func:`coerce`) when one is given. Where the default is a string (or a list of strings) a YAML number,
    boolean or null is taken as the text itself (``-p f no`` is "no", not False)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ParameterError(f"{name}={text!r} is not valid YAML: {problem}") from None
    if default is _NO_DEFAULT:
        return value
    if value is None or isinstance(value, (bool, int, float)):
        if isinstance(default, str):
            value = text.strip()
        elif isinstance(default, (list, tuple)) and default and all(isinstance(x, str) for x in default):
            value = [text.strip()]
    return coerce(name, value, default)


def _kind(x: Any) -> str | None:
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", (list, tuple)),
                        ("dict", dict)):
        if isinstance(x, types):
            return kind
    return None


_WORDS = {"bool": "true or false", "int": "an integer", "float": "a number", "number": "a number",
          "str": "a string", "list": "a list", "dict": "a mapping"}


def _as(kind: str | None, label: str, x: Any, default: Any) -> Any:
    """``x`` as a value of ``kind`` (a number may be written as a string float() reads, e.g. '1e-3'; "number":
    an integer or a float, integer-valued floats made integers); ParameterError naming ``label`` otherwise."""
    if kind in ("int", "float", "number") and isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            pass
    ok = {"bool": lambda: isinstance(x, bool),
          "int": lambda: not isinstance(x, bool) and (isinstance(x, int) or isinstance(x, float) and x.is_integer()),
          "float": lambda: not isinstance(x, bool) and isinstance(x, (int, float)),
          "number": lambda: not isinstance(x, bool) and isinstance(x, (int, float)),
          "str": lambda: isinstance(x, str), "list": lambda: isinstance(x, (list, tuple)),
          "dict": lambda: isinstance(x, dict)}
    if kind is None:
        return x
    if not ok[kind]():
        raise ParameterError(f"{label}={x!r} must be {_WORDS[kind]} (the default is {default!r})")
    if kind == "int" or kind == "number" and isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    if kind == "float":
        return float(x)
    if kind == "list":
        return list(x)
    return x


def coerce(name: str, value: Any, default: Any) -> Any:
    """``value`` of parameter ``name`` checked against the type of its ``default``: the same type (an integer
    where the default is a float is a float; an integer-valued float where it is an integer is an integer);
    where the default is a list, a scalar becomes a one-element list and each element must be of the
    default's element type when all its elements share one (integers and floats count as numbers). A default
    of None accepts anything. Raises ParameterError naming the parameter (and the element)."""
    if default is None:
        return value
    if isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            value = [value]
        kinds = {"number" if k in ("int", "float") else k for k in map(_kind, default)}
        if len(kinds) != 1:
            return list(value)
        (kind,) = kinds
        return [_as(kind, f"{name}[{i}]", x, default) for i, x in enumerate(value)]
    return _as(_kind(default), name, value, default)


def notebook_parameters(ipynb: Path) -> dict:
    import papermill

    return papermill.inspect_notebook(str(ipynb))


def execute(notebook: str, profile: str = "quick", params: dict | None = None,
            out_dir: Path | None = None, quiet: bool = False, log_output: bool = False) -> Path:
    """Execute ``notebook`` under ``profile`` with ``params``; return the executed .ipynb path."""
    import jupytext
    import papermill

    src = resolve_notebook(notebook)
    if profile not in PROFILES:
        raise ParameterError(f"profile={profile!r} is not allowed; choose one of {', '.join(map(repr, PROFILES))}")
    out_dir = Path(out_dir or paths.output_dir() / f"{src.stem}-{profile}")
    out_dir.mkdir(parents=True, exist_ok=True)
    source_ipynb = out_dir / f"{src.stem}.source.ipynb"
    jupytext.write(jupytext.read(src), source_ipynb)
    declared = notebook_parameters(source_ipynb)
    merged = {**profile_parameters(profile, src.stem), **(params or {})}
    if "results_from" in declared and "results_from" not in merged:
        # A chapter shows its paper bundle only when asked for the paper profile as it is ("auto");
        # any other request computes what it asks for.
        merged["results_from"] = "auto" if profile == "paper" and not params else "compute"
    unknown = sorted(set(merged) - set(declared))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for {src.stem}; "
                             f"allowed: {', '.join(declared)}")
    defaults = chapters.parameter_defaults(src)
    merged.update({k: coerce(k, v, defaults[k]) for k, v in (params or {}).items() if k in defaults})
    executed = out_dir / f"{src.stem}.ipynb"
    env_backup = os.environ.get("HMM_FIGURE_DIR")
    os.environ["HMM_FIGURE_DIR"] = str(out_dir / "figures")
    try:
        papermill.execute_notebook(str(source_ipynb), str(executed), parameters=merged, kernel_name="python3",
                                   cwd=str(paths.NOTEBOOKS), progress_bar=not quiet, log_output=log_output)
    except papermill.PapermillExecutionError as err:
        if err.ename == "ParameterError":
            raise ParameterError(err.evalue) from None
        raise RuntimeError(f"{src.stem} failed under profile {profile!r}: {err.ename}: {err.evalue}\n"
                           f"see the executed notebook {executed}") from None
    finally:
        if env_backup is None:
            os.environ.pop("HMM_FIGURE_DIR", None)
        else:
            os.environ["HMM_FIGURE_DIR"] = env_backup
    source_ipynb.unlink(missing_ok=True)
    return executed


def prefetch_batches(notebook: str, profile: str, params: dict, scheduler: str) -> int:
    """Compute the engine batches the chapter will ask for (``lib.pipeline.batches.BATCHES``) on ``scheduler``
    before it runs, so that its kernel finds them in the cache; a chapter shown from its current paper bundle, or
    one whose batches are not known, computes nothing here. Returns the number of batches computed."""
    from . import batches, bundle

    src = resolve_notebook(notebook)
    if src.stem not in batches.BATCHES:
        print(f"{src.stem}: no engine batches are known for this chapter; it computes in its own kernel")
        return 0
    if profile == "paper" and not params and bundle.status(src.stem)[0]:
        return 0
    defaults = chapters.parameter_defaults(src)
    values = {**defaults, **profile_parameters(profile, src.stem), **params}
    values = {k: coerce(k, v, defaults[k]) if k in defaults else v for k, v in values.items()}
    return batches.compute_batches(src.stem, values, scheduler=scheduler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", help="notebook path or stem, e.g. notebooks/02_hidden_manifold")
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter; VALUE is read as YAML (2000, 0.1, [1, 2], erf)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default _output/<nb>-<profile>)")
    parser.add_argument("--scheduler", default=None,
                        help="compute the chapter's engine batches first on Dask: local:N (N processes here) or a "
                             "scheduler's address (tcp://host:8786); default $HMM_DASK_SCHEDULER, else none (the "
                             "chapter computes in its own kernel)")
    args = parser.parse_args(argv)
    try:
        defaults = chapters.parameter_defaults(resolve_notebook(args.notebook)) if args.parameter else {}
        params = {name: parse_value(name, text, defaults.get(name, _NO_DEFAULT)) for name, text in args.parameter}
        scheduler = args.scheduler or os.environ.get("HMM_DASK_SCHEDULER")
        if scheduler:
            prefetch_batches(args.notebook, args.profile, params, scheduler)
        executed = execute(args.notebook, args.profile, params, args.out)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"executed notebook: {executed}\nfigures: {executed.parent / 'figures'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
