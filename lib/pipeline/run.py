"""Re-execute a notebook with a profile and extra parameters through papermill.

    python -m lib run notebooks/02_hidden_manifold --profile paper -p N_values "[500, 1000]"

Writes the executed notebook and its figures to ``_output/<notebook>-<profile>/`` (git-ignored).
A bad parameter stops with one message naming it, not a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

from ..core import paths
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", help="notebook path or stem, e.g. notebooks/02_hidden_manifold")
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter; VALUE is read as YAML (2000, 0.1, [1, 2], erf)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default _output/<nb>-<profile>)")
    args = parser.parse_args(argv)
    try:
        params = {name: yaml.safe_load(value) for name, value in args.parameter}
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
