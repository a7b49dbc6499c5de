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


def test_chapters_02_03_06_compute_their_results_without_notebook_tools(tmp_path):
    """Their ``chapter_results`` (the RESULTS_ONLY entries) run on tiny parameters on the bare machine, so an import
    made inside the computation is caught too, not only one at the top of a module."""
    from test_results_only import TINY

    done = _run_bare(f"""
        import os
        os.environ["HMM_CACHE_DIR"] = {str(tmp_path / "cache")!r}
        os.environ["HMM_STASH_DIR"] = {str(tmp_path / "stash")!r}
        import importlib
        import pathlib
        from lib.pipeline import chapters, paper
        for stem, tiny in {TINY!r}.items():
            module, name = paper.RESULTS_ONLY[stem].split(":")
            getattr(importlib.import_module(module), name)({{**chapters.parameter_defaults(stem), **tiny}})
        print("bare results", sorted(p.parent.name for p in pathlib.Path(os.environ["HMM_CACHE_DIR"]).rglob("*.npz")))
    """)
    assert done.returncode == 0 and "bare results" in done.stdout, done.stderr[-3000:]
    for folder in ("equivalence_check", "kl_study", "guarded_batch", "standardization_scale"):
        assert f"'{folder}'" in done.stdout, (folder, done.stdout[-2000:])


def test_the_blocking_is_real():
    """The check above can fail: importing a plotting study module on the bare machine is refused."""
    done = _run_bare("import lib.studies.style")
    assert done.returncode != 0 and "matplotlib" in done.stderr
