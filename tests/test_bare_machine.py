"""A bare GPU machine has torch, numpy, scipy, tqdm and pyyaml, and none of the plotting or notebook tools.
The notebook-free path (``python -m lib paper --results-only``) and the stash must work there: importing what
they need must not pull in matplotlib, papermill, jupytext, nbformat or IPython, nor Dask (the default scheduler,
``local:1``, computes in the process)."""
import subprocess
import sys
import textwrap

BLOCKED = ("matplotlib", "papermill", "jupytext", "nbformat", "nbclient", "IPython", "ipykernel", "myst_nb",
           "distributed", "dask")          # Dask only for --scheduler other than local:1


def _run_bare(code: str) -> subprocess.CompletedProcess:
    prelude = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in BLOCKED)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300)


def test_results_only_path_imports_without_notebook_tools():
    done = _run_bare("""
        import importlib
        from lib.pipeline import paper, stash
        for stem, compute in paper.RESULTS_ONLY.items():
            if isinstance(compute, str):
                module, name = compute.split(":")
                assert callable(getattr(importlib.import_module(module), name)), compute
        for e in stash.stashed():
            assert e.current, e.folder                       # checking a record imports only its module
        print("bare ok", len(paper.RESULTS_ONLY))
    """)
    assert done.returncode == 0 and "bare ok" in done.stdout, done.stderr[-3000:]


def test_the_blocking_is_real():
    """The check above can fail: importing a plotting study module on the bare machine is refused."""
    done = _run_bare("import lib.studies.style")
    assert done.returncode != 0 and "matplotlib" in done.stderr
