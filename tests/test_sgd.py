"""Tests of the batched online-SGD engine (lib/sgd.py)."""
import math

import numpy as np
import pytest
import torch
from scipy import special

from lib.core import cache
from lib.core.model import Model, init_weights
from lib.core.sgd import run_generator, sgd_steps, simulate_sgd, simulate_sgd_cached
from lib.core.trajectory import record_steps
from lib.core.validate import ParameterError


class Gaussian:
    """Standard normal latent C with the InputDistribution sampling interface (a stand-in)."""

    def __init__(self, D):
        self.D = D

    def sample(self, n, generator, device=None, dtype=torch.float32):
        return torch.randn(n, self.D, generator=generator, device=device or generator.device, dtype=dtype)


class Shifted(Gaussian):
    """N(1, 1): a second distribution, so that runs of one batch can use different inputs."""

    def sample(self, n, generator, device=None, dtype=torch.float32):
        return super().sample(n, generator, device, dtype) + 1.0


NP_FOLD = {"sgn": np.sign, "relu": lambda u: np.maximum(u, 0.0), "tanh": np.tanh}
NP_G = {"erf": (lambda x: special.erf(x / math.sqrt(2)), lambda x: math.sqrt(2 / math.pi) * np.exp(-x * x / 2)),
        "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float))}


def literal_sgd(model, w, C):
    """Eqs. 1-2 and S7-S8 of 001 written out unit by unit, one run and one step at a time (float64)."""
    N, D, K, M, lr = model.N, model.D, model.K, model.M, model.lr
    f, (g, dg) = NP_FOLD[model.f], NP_G[model.g]
    W, v = w.W.numpy().copy(), w.v.numpy().copy()
    for r in range(C.shape[0]):
        F = w.F[0 if w.F.shape[0] == 1 else r].numpy()
        for s in range(C.shape[1]):
            c = C[r, s].numpy()
            X = f(c @ F / math.sqrt(D))
            nu = w.W_t[r].numpy() @ c / math.sqrt(D)
            y = sum(w.v_t[r, m].item() * g(nu[m]) for m in range(M))
            lam = W[r] @ X / math.sqrt(N)
            yhat = sum(v[r, k] * g(lam[k]) for k in range(K))
            W_new, v_new = W[r].copy(), v[r].copy()
            for k in range(K):
                W_new[k] -= lr / math.sqrt(N) * v[r, k] * (yhat - y) * dg(lam[k]) * X   # eq. S7
                v_new[k] -= lr / N * g(lam[k]) * (yhat - y)                              # eq. S8
            W[r], v[r] = W_new, v_new
    return W, v


@pytest.mark.parametrize("f,g,share_F", [("sgn", "erf", True), ("relu", "relu", False), ("tanh", "erf", True)])
def test_batched_steps_equal_literal_loop(f, g, share_F):
    # The block kernel regroups the arithmetic (Gram matrix, delayed W update, chunks of runs);
    # in float64 the only difference is rounding, ~1e-16 per operation over 50 steps.
    model = Model(N=30, D=20, K=3, M=2, lr=0.5, f=f, g=g)
    w = init_weights(model, runs=5, seed=1, share_F=share_F, dtype=torch.float64)
    C = torch.randn(5, 50, model.D, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    W_ref, v_ref = literal_sgd(model, w, C)
    out = sgd_steps(model, w.clone(), C, block=7, chunk=2)          # 50 = 7 * 7 + 1: a ragged last block
    assert np.abs(W_ref - w.W.numpy()).max() > 0.1                   # the weights did move
    np.testing.assert_allclose(out.W.numpy(), W_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.v.numpy(), v_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("N", [200, 800])
def test_weight_order_parameters_match_empirical_covariance(N):
    # Under Gaussian C the preactivations are jointly Gaussian up to O(1/sqrt(N D)) corrections, with
    # covariance given by Goldt's formulas from the weights. Q_emp, R_emp are averages over P test
    # samples: their Monte-Carlo standard error for Gaussian (lambda, nu) is
    # sqrt((Q_kk Q_ll + Q_kl^2) / P) (and sqrt((Q_kk T_nn + R_kn^2) / P)). With P = 8 N the tolerance
    # (5 standard errors) scales like 1/sqrt(N): 0.18 Q-scale at N = 200, half that at N = 800.
    model = Model(N=N, D=N // 2, K=2, M=2, lr=0.2, f="sgn", g="erf")
    P = 8 * N
    tr = simulate_sgd(model, Gaussian(model.D), runs=2, t_max=2.0, seed=3, points=3, test_samples=P,
                      record_empirical=True, dtype=torch.float64, progress=False)
    dQ = np.einsum("rtkk->rtk", tr.Q)
    dT = np.einsum("rmm->rm", tr.T)[:, None, :]
    se_Q = np.sqrt((dQ[..., :, None] * dQ[..., None, :] + tr.Q**2) / P)
    se_R = np.sqrt((dQ[..., :, None] * dT[..., None, :] + tr.R**2) / P)
    assert np.abs(tr.R[:, -1]).max() > 0.05                          # training built teacher overlap
    assert np.all(np.abs(tr.Q_emp - tr.Q) <= 5 * se_Q)
    assert np.all(np.abs(tr.R_emp - tr.R) <= 5 * se_R)
    # the numerical eg on the same test set against the analytic eq. S48: for a near-Gaussian error
    # e = yhat - y, Var(e^2 / 2) = 2 eg^2, so the standard error is eg sqrt(2 / P); 6 of them.
    assert np.all(np.abs(tr.eg_numeric - tr.eg) <= 6 * tr.eg * math.sqrt(2 / P))


def test_trajectory_layout_and_initial_point():
    model = Model(N=100, D=50, K=2, M=3, lr=0.5, f="sgn", g="relu")
    tr = simulate_sgd(model, Gaussian(model.D), runs=3, t_max=1.0, seed=0, points=5, test_samples=50,
                      progress=False)
    steps = record_steps(1.0, model.N, 5)
    np.testing.assert_array_equal(tr.t, steps / model.N)
    T = len(steps)
    assert tr.Q.shape == (3, T, 2, 2) and tr.R.shape == (3, T, 2, 3) and tr.v.shape == (3, T, 2)
    assert tr.eg.shape == tr.eg_numeric.shape == (3, T) and tr.T.shape == (3, 3, 3)
    assert tr.Q_emp is None and tr.Q.dtype == np.float64
    w = init_weights(model, 3, 0)                                    # weights=None means init_weights(model, runs, seed)
    np.testing.assert_allclose(tr.v[:, 0], w.v.numpy(), rtol=1e-6)
    assert not np.allclose(tr.v[:, -1], tr.v[:, 0])


def test_same_seed_same_trajectory_and_runs_independent_of_batch():
    model = Model(N=120, D=60, K=2, M=2, lr=0.5, f="sgn", g="erf")
    kw = dict(t_max=0.5, points=4, test_samples=64, record_empirical=True, progress=False)
    inputs = [Gaussian(model.D), Shifted(model.D), Gaussian(model.D), Shifted(model.D)]
    w = init_weights(model, runs=4, seed=5, share_student=False)
    a = simulate_sgd(model, inputs, runs=4, seed=7, weights=w, **kw)
    b = simulate_sgd(model, inputs, runs=4, seed=7, weights=w, **kw)
    c = simulate_sgd(model, inputs, runs=4, seed=8, weights=w, **kw)
    for name in ("Q", "R", "v", "eg", "eg_numeric", "Q_emp", "R_emp"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.allclose(a.v[:, -1], c.v[:, -1])                   # the seed does change the inputs
    # run 3 alone (its own weights, its own identity for seeding) reproduces run 3 of the batch
    w3 = type(w)(w.F, w.W[3:], w.v[3:], w.W_t[3:], w.v_t[3:])
    alone = simulate_sgd(model, inputs[3], runs=1, seed=7, weights=w3, run_ids=[3], **kw)
    # identical, not merely close: same generator stream, same weights, and each run's arithmetic
    # does not mix with the other runs' (the chunk of runs changes only the GEMM's row count)
    for name in ("Q", "R", "v", "eg", "eg_numeric", "Q_emp", "R_emp"):
        np.testing.assert_array_equal(getattr(alone, name)[0], getattr(a, name)[3])
    assert not np.allclose(a.v[2, -1], a.v[3, -1])


def test_generators_are_per_run():
    x = torch.randn(5, generator=run_generator(1, 2))
    assert torch.equal(x, torch.randn(5, generator=run_generator(1, 2)))
    for other in (run_generator(1, 3), run_generator(2, 2), run_generator(1, 2, stream=1)):
        assert not torch.equal(x, torch.randn(5, generator=other))


def test_divergence_is_detected():
    model = Model(N=100, D=50, K=2, M=2, lr=200.0, f="sgn", g="relu")
    with pytest.raises(RuntimeError, match=r"run \d+ at step \d+.*learning rate"):
        simulate_sgd(model, Gaussian(model.D), runs=2, t_max=20.0, test_samples=0, progress=False)


class Huge(Gaussian):
    """N(0, 1e8): labels far outside the O(1) range, so the run that gets it diverges within a few steps."""

    def sample(self, n, generator, device=None, dtype=torch.float32):
        return super().sample(n, generator, device, dtype) * 1e4


def test_record_mode_stops_a_divergent_run_and_leaves_the_others_alone():
    model = Model(N=80, D=40, K=2, M=2, lr=0.5, f="sgn", g="relu")
    G = Gaussian(model.D)
    kw = dict(t_max=2.0, points=10, test_samples=30, seed=4, progress=False)
    with pytest.raises(RuntimeError, match=r"run 1 at step (\d+)") as err:
        simulate_sgd(model, [G, Huge(model.D), G], runs=3, weights=init_weights(model, 3, 4, share_student=True), **kw)
    step = int(err.value.args[0].split("at step ")[1].split()[0])
    tr = simulate_sgd(model, [G, Huge(model.D), G], runs=3, on_divergence="record",
                      weights=init_weights(model, 3, 4, share_student=True), **kw)
    t_div = tr.meta["t_diverged"]
    assert np.isnan(t_div[[0, 2]]).all() and t_div[1] == step / model.N
    late = tr.t >= t_div[1]
    for x in (tr.Q, tr.R, tr.v, tr.eg, tr.eg_numeric):
        assert np.isnan(x[1, late]).all() and np.isfinite(x[1, ~late]).all() and np.isfinite(x[[0, 2]]).all()
    # the survivors are the runs a batch without the divergent one computes
    ok = simulate_sgd(model, [G, G], runs=2, run_ids=[0, 2], weights=init_weights(model, 2, 4, share_student=True), **kw)
    assert np.allclose(tr.Q[[0, 2]], ok.Q, rtol=1e-5, atol=1e-6) and np.allclose(tr.v[[0, 2]], ok.v, rtol=1e-5, atol=1e-6)
    with pytest.raises(ParameterError, match="on_divergence"):
        simulate_sgd(model, G, on_divergence="ignore", **kw)


@pytest.mark.parametrize("kwargs", [dict(runs=0), dict(t_max=0.0), dict(t_max=-1.0), dict(test_samples=-1),
                                    dict(points=0), dict(block=0), dict(dtype=torch.int32),
                                    dict(record_empirical=True, test_samples=0), dict(run_ids=[0, 1])])
def test_bad_run_parameters_raise(kwargs):
    model = Model(N=20, D=10)
    with pytest.raises(ParameterError):
        simulate_sgd(model, Gaussian(10), **{"t_max": 0.1, "progress": False, **kwargs})


@pytest.mark.parametrize("kwargs", [dict(lr=0.0), dict(lr=-0.1), dict(K=0), dict(f="cube"), dict(g="tanh")])
def test_bad_model_parameters_raise(kwargs):
    with pytest.raises(ParameterError):
        Model(**kwargs)


def test_bad_inputs_raise():
    model = Model(N=20, D=10)
    with pytest.raises(ParameterError, match="inputs"):
        simulate_sgd(model, [Gaussian(10)] * 3, runs=2, t_max=0.1, progress=False)
    with pytest.raises(ParameterError, match="D="):
        simulate_sgd(model, Gaussian(11), t_max=0.1, progress=False)
    with pytest.raises(ParameterError, match="dist"):
        simulate_sgd_cached(model, "cauchy", t_max=0.1, progress=False)


def test_cached_wrapper_reuses_result():
    pytest.importorskip("lib.core.inputs")
    model = Model(N=40, D=20, lr=0.3)
    kw = dict(params={"alpha": 1.0, "m": 2}, runs=2, t_max=0.2, points=3, test_samples=16, progress=False)
    first = simulate_sgd_cached(model, "gmm", **kw)
    again = simulate_sgd_cached(model, "gmm", **kw)
    np.testing.assert_array_equal(first.Q, again.Q)
    other = simulate_sgd_cached(model, "gmm", **{**kw, "params": {"alpha": 3.0, "m": 2}})
    assert not np.allclose(first.v[:, -1], other.v[:, -1])
    assert len(list((cache.paths.cache_dir() / "simulate_sgd_cached").glob("*.npz"))) == 2


@pytest.mark.gpu
def test_cuda_graphs_match_eager_on_gpu():
    model = Model(N=200, D=100, lr=0.5)
    kw = dict(runs=8, t_max=1.0, points=5, test_samples=64, device="cuda", dtype=torch.float64, progress=False)
    graphs = simulate_sgd(model, Gaussian(model.D), cuda_graphs=True, **kw)
    eager = simulate_sgd(model, Gaussian(model.D), cuda_graphs=False, **kw)
    np.testing.assert_allclose(graphs.Q, eager.Q, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(graphs.v, eager.v, rtol=1e-10, atol=1e-12)


def test_float64_recording_keeps_history():
    """Recorded v must be a snapshot: in float64 on the CPU .double() returns the live tensor."""
    from lib.core.inputs import make_distribution

    model = Model(N=60, D=30)
    tr = simulate_sgd(model, make_distribution("gaussian", 30), runs=2, t_max=5, seed=0, points=5,
                      dtype=torch.float64, progress=False)
    assert not np.allclose(tr.v[:, 0], tr.v[:, -1])
