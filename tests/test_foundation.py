"""The foundation: validation, folding constants, order parameters, cache, runner."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import lib
from lib.core import cache, paths, validate
from lib.pipeline.run import resolve_notebook


@pytest.mark.parametrize("f", sorted(lib.FOLD_CLOSED_FORMS))
def test_fold_constants_match_closed_forms(f):
    assert np.allclose(lib.fold_constants(f), lib.FOLD_CLOSED_FORMS[f], atol=1e-9, rtol=0)


def test_fold_constants_tanh_against_monte_carlo():
    # tanh has no closed form: 10^6 samples give a standard error below 1e-3 for each constant
    u = np.random.default_rng(0).standard_normal(1_000_000)
    mc = (np.tanh(u).mean(), (u * np.tanh(u)).mean(), (np.tanh(u) ** 2).mean())
    assert np.allclose(lib.fold_constants("tanh"), mc, atol=4e-3)


@pytest.mark.parametrize("kwargs, name", [({"N": -5}, "N"), ({"K": 0}, "K"), ({"lr": -0.1}, "lr"),
                                          ({"f": "foo"}, "f"), ({"g": "tanh"}, "g"), ({"D": 2.5}, "D")])
def test_model_rejects_bad_parameters(kwargs, name):
    with pytest.raises(validate.ParameterError, match=rf"^{name}="):
        lib.Model(**kwargs)


def test_order_parameters_match_literal_formulas():
    model = lib.Model(N=30, D=20, K=2, M=3, f="relu")
    w = lib.init_weights(model, runs=2, seed=3, share_teacher=False)
    op = lib.order_parameters(model, w)
    a, b, c = model.abc
    for r in range(2):
        F, W, Wt = w.F[0].numpy(), w.W[r].numpy(), w.W_t[r].numpy()
        S = np.array([[sum(W[k, i] * F[s, i] for i in range(30)) / math.sqrt(30) for s in range(20)] for k in range(2)])
        Omega = W @ W.T / 30
        Sigma = S @ S.T / 20
        assert np.allclose(op["Q"][r].numpy(), (c - a * a - b * b) * Omega + b * b * Sigma, atol=1e-12)
        assert np.allclose(op["R"][r].numpy(), b / 20 * S @ Wt.T, atol=1e-12)
        assert np.allclose(op["T"][r].numpy(), Wt @ Wt.T / 20, atol=1e-12)


def test_eg_vanishes_when_student_equals_teacher():
    # A student identical to the teacher (same order parameters) has zero generalisation error.
    T = torch.tensor([[1.2, 0.3], [0.3, 0.8]], dtype=torch.float64)
    v = torch.tensor([0.7, -1.1], dtype=torch.float64)
    for g in lib.ACTIVATIONS:
        assert abs(float(lib.eg_analytic(g, T, T, T, v, v))) < 1e-12
        assert float(lib.eg_analytic(g, T, 0 * T, T, v, v)) > 0.1


def test_init_weights_shares_and_seeds():
    model = lib.Model(N=40, D=20)
    a = lib.init_weights(model, runs=3, seed=1)
    b = lib.init_weights(model, runs=3, seed=1)
    assert torch.equal(a.W, b.W) and a.F.shape == (1, 20, 40)
    assert torch.equal(a.W_t[0], a.W_t[2])            # teacher shared by default
    assert not torch.equal(a.W[0], a.W[1])            # students differ
    assert not torch.equal(lib.init_weights(model, runs=3, seed=2).W, a.W)


_calls = []


@cache.cached(version=1)
def _square(x: float, scale: lib.Model) -> dict:
    _calls.append(x)
    return {"y": np.array([x * x * scale.N])}


def test_cache_reuses_and_keys_by_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path))
    _calls.clear()
    m = lib.Model(N=3)
    assert _square(2.0, m)["y"][0] == 12
    assert _square(2.0, m)["y"][0] == 12
    assert _calls == [2.0]                            # second call read the cache
    _square(2.0, lib.Model(N=4))
    _square(3.0, m)
    assert _calls == [2.0, 2.0, 3.0]                  # changed parameters recompute
    records = list((tmp_path / "_square").glob("*.json"))
    assert len(records) == 3
    rec = json.loads(records[0].read_text())
    assert rec["version"] == 1 and rec["function"] == "_square" and "params" in rec and "wall_s" in rec
    assert cache.is_current(rec)
    assert not cache.is_current({**rec, "version": 2}) and not cache.is_current({**rec, "function": "gone"})


def test_cache_key_changes_with_version_not_with_text():
    """A bumped numerics version gives a new key; the module a function lives in is not part of it."""
    k1, r1 = cache.key_of("f", {"x": 1}, 1)
    assert cache.key_of("f", {"x": 1}, 2)[0] != k1 and cache.key_of("f", {"x": 2}, 1)[0] != k1
    assert cache.key_of("f", {"x": 1}, 1)[0] == k1 and "module" not in r1


def test_cached_needs_a_version():
    with pytest.raises(ValueError, match="version"):
        cache.cached(version=0)
    with pytest.raises(TypeError):
        cache.cached(lambda x: x)                      # the bare decorator form is refused: no version


def test_trajectory_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    tr = lib.Trajectory(t=np.arange(4.0), Q=rng.normal(size=(2, 4, 2, 2)), R=rng.normal(size=(2, 4, 2, 2)),
                        v=rng.normal(size=(2, 4, 2)), eg=rng.normal(size=(2, 4)), T=rng.normal(size=(2, 2, 2)),
                        meta={"source": "test"})
    tr.save(tmp_path / "t.npz")
    back = lib.Trajectory.load(tmp_path / "t.npz")
    assert np.array_equal(back.Q, tr.Q) and back.meta == {"source": "test"} and back.eg_numeric is None
    assert back.mean().Q.shape == (1, 4, 2, 2) and np.allclose(back.mean().Q[0], tr.Q.mean(0))


def test_record_steps():
    steps = lib.record_steps(t_max=100, N=1000, points=50)
    assert steps[0] == 0 and steps[-1] == 100_000 and np.all(np.diff(steps) > 0)
    with pytest.raises(validate.ParameterError, match="t_max"):
        lib.record_steps(t_max=-1, N=10)


def test_runner_rejects_bad_input():
    cmd = [sys.executable, "-m", "lib.pipeline.run"]
    for args, word in [(["02_hidden_manifold", "--profile", "fast"], "profile"),
                       (["02_hidden_manifold", "-p", "nonsense", "1"], "nonsense"),
                       (["no_such_notebook"], "not found")]:
        res = subprocess.run(cmd + args, cwd=paths.ROOT, capture_output=True, text=True)
        assert res.returncode == 2, res.stderr
        assert word in res.stderr and "Traceback" not in res.stderr


def test_notebook_parameters_are_all_declared():
    """papermill must see every name assigned in each notebook's parameters cell."""
    import ast

    import jupytext

    for path in sorted(paths.NOTEBOOKS.glob("*.py")):
        nb = jupytext.read(path)
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{path.name}: one cell tagged 'parameters' expected"
        assigned = {t.id for node in ast.parse(cells[0].source).body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)}
        tmp = paths.output_dir() / "inspect" / f"{path.stem}.ipynb"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(nb, tmp)
        from lib.pipeline.run import notebook_parameters

        assert set(notebook_parameters(tmp)) == assigned, path.name
        from lib.pipeline.chapters import parameters_source

        assert parameters_source(path) == cells[0].source, path.name       # the plain reader agrees with jupytext


def test_every_cached_function_is_registered_once():
    from lib.pipeline.bundle import load_cached_functions

    load_cached_functions()
    assert len(cache.REGISTRY) >= 18
    for name, func in cache.REGISTRY.items():
        assert func.cache_name == name and isinstance(func.version, int) and func.version >= 1


@pytest.mark.parametrize("g", ["erf", "relu"])
def test_eg_analytic_against_monte_carlo(g):
    # K = 2 students, M = 3 teachers, a random joint covariance of (lambda, nu); 4e6 samples give a
    # standard error of the sample mean of (yhat - y)^2 / 2 well below 2e-3 for these weights.
    gen = torch.Generator().manual_seed(5)
    A = torch.randn(5, 5, generator=gen, dtype=torch.float64)
    C = A @ A.T / 5 + 0.2 * torch.eye(5, dtype=torch.float64)
    Q, R, T = C[:2, :2], C[:2, 2:], C[2:, 2:]
    v = torch.tensor([0.8, -0.5], dtype=torch.float64)
    vt = torch.tensor([1.0, 0.3, -0.7], dtype=torch.float64)
    z = torch.randn(4_000_000, 5, generator=gen, dtype=torch.float64) @ torch.linalg.cholesky(C).T
    gfun, _ = lib.activation(g)
    err = 0.5 * (gfun(z[:, :2]) @ v - gfun(z[:, 2:]) @ vt) ** 2
    mc, se = err.mean().item(), err.std().item() / 2000
    assert abs(lib.eg_analytic(g, Q, R, T, v, vt).item() - mc) < 5 * se, (mc, se)


def test_sources_hold_no_control_characters():
    # A Python string "\a" written into a notebook becomes a BEL character and breaks the page's math.
    import re

    bad = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
    for folder in (paths.NOTEBOOKS, paths.LIB, paths.BOOK):
        for p in folder.rglob("*"):
            if p.suffix in (".py", ".md", ".bib", ".yml"):
                assert not bad.search(p.read_text()), p
