"""Gaussian integrals I2, I3, I4 of g (lib/integrals.py) against Monte Carlo, exact reductions and
an independent reference; the batched kernels of the ODE against the scalar ones."""
import math

import numpy as np
import pytest
import torch

from lib.core.integrals import (I3, I4, NUMPY, TORCH, _i2_relu, check_covariance, eg_analytic, i4_block,
                           ode_integrals, pair_integrals)
from lib.core.validate import ParameterError

SQRT2 = math.sqrt(2.0)
G = {"erf": lambda x: torch.erf(x / SQRT2), "relu": torch.relu}
DG = {"erf": lambda x: math.sqrt(2 / math.pi) * torch.exp(-0.5 * x * x), "relu": lambda x: (x > 0).double()}


def factor_matrices():
    """Square roots B of test covariances C = B B^T of (x0, x1, x2, x3) = B z: generic, strongly
    correlated (a common factor), duplicated variables (x1 = x0 and x3 = x2, as for k = l and
    a = b in the ODE) and a student nearly aligned with a teacher (corr(x0, x2) ~ 0.9995)."""
    gen = torch.Generator().manual_seed(11)
    rnd = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    Bs = [rnd(4, 4), rnd(4, 4) / 2 + rnd(1, 4) * 1.5, rnd(4, 4) + 3 * rnd(1, 4)]
    dup = rnd(4, 4)
    dup[1], dup[3] = dup[0], dup[2]
    near = rnd(4, 4)
    near[2] = near[0] + 0.03 * rnd(4)
    return Bs + [dup, near]


def monte_carlo(g, B, n=10_000_000, chunk=1_000_000, seed=0):
    """Means and standard errors of the I3 and I4 integrands over n samples x = B z (in chunks)."""
    gen = torch.Generator().manual_seed(seed)
    s = torch.zeros(2, dtype=torch.float64)
    s2 = torch.zeros(2, dtype=torch.float64)
    for _ in range(n // chunk):
        x = torch.randn(chunk, 4, generator=gen, dtype=torch.float64) @ B.T
        d0, gx = DG[g](x[:, 0]), G[g](x)
        f = torch.stack([d0 * x[:, 1] * gx[:, 2], d0 * DG[g](x[:, 1]) * gx[:, 2] * gx[:, 3]])
        s += f.sum(dim=1)
        s2 += (f * f).sum(dim=1)
    mean = s / n
    return mean, torch.sqrt((s2 / n - mean ** 2) / n)


@pytest.mark.parametrize("case", range(len(factor_matrices())))
@pytest.mark.parametrize("g", ["erf", "relu"])
def test_I3_I4_match_monte_carlo(g, case):
    # 10^7 samples per covariance; the analytic value must lie within 4 standard errors of the MC
    # mean (a false alarm has probability ~6e-5 per comparison).
    B = factor_matrices()[case]
    C = B @ B.T
    mean, se = monte_carlo(g, B, seed=case)
    exact = torch.stack([I3(g, C[:3, :3]), I4(g, C)])
    assert torch.all((exact - mean).abs() <= 4 * se + 1e-12), (g, case, exact, mean, se)


def _cond(C, i):
    return C - np.outer(C[:, i], C[i, :]) / C[i, i]


def _p2(r):
    return 0.25 + math.asin(max(-1.0, min(1.0, r))) / (2 * math.pi)


def _p3(C):
    c = lambda i, j: C[i, j] / math.sqrt(C[i, i] * C[j, j])
    return 0.125 + (math.asin(c(0, 1)) + math.asin(c(0, 2)) + math.asin(c(1, 2))) / (4 * math.pi)


def _step_relu_relu(C):
    """E[step(x0) relu(x1) relu(x2)] (3x3 C) by Stein's lemma on x2: exact reference."""
    S0, S2 = _cond(C, 0), _cond(C, 2)
    e0 = 0.5 * (math.sqrt(S0[1, 1]) + S0[1, 2] / math.sqrt(S0[2, 2])) / math.sqrt(2 * math.pi)
    e2 = 0.5 * (S2[1, 0] / math.sqrt(S2[0, 0]) + math.sqrt(S2[1, 1])) / math.sqrt(2 * math.pi)
    return (C[2, 0] / math.sqrt(2 * math.pi * C[0, 0]) * e0 + C[2, 1] * _p3(C)
            + C[2, 2] / math.sqrt(2 * math.pi * C[2, 2]) * e2)


def _step_step_relu2(C):
    """E[step(x0) step(x1) relu(x2)^2] (3x3 C) by Stein's lemma on x2: exact reference."""
    S0, S1 = _cond(C, 0), _cond(C, 1)
    e0 = 0.5 * (S0[2, 1] / math.sqrt(S0[1, 1]) + math.sqrt(S0[2, 2])) / math.sqrt(2 * math.pi)
    e1 = 0.5 * (S1[2, 0] / math.sqrt(S1[0, 0]) + math.sqrt(S1[2, 2])) / math.sqrt(2 * math.pi)
    return (C[2, 0] / math.sqrt(2 * math.pi * C[0, 0]) * e0 + C[2, 1] / math.sqrt(2 * math.pi * C[1, 1]) * e1
            + C[2, 2] * _p3(C))


def test_relu_I4_exact_on_degenerate_covariances():
    # The ODE evaluates I4 at covariances with repeated variables (k = l, a = b, a = k). There I4
    # reduces to three-variable integrals with closed forms (Stein's lemma + orthant probabilities);
    # the path integral must reproduce them to 1e-7 (jitter bias ~1e-9, quadrature error ~1e-8:
    # the substitution u = (1 - s)^(1/4) makes these integrands smooth).
    rng = np.random.default_rng(3)
    for trial in range(4):
        B = rng.standard_normal((3, 3)) + (2 * rng.standard_normal((1, 3)) if trial >= 2 else 0)
        cov = lambda idx: B[idx] @ B[idx].T
        c2 = cov([0, 1])
        cases = [
            (cov([0, 0, 1, 2]), _step_relu_relu(cov([0, 1, 2]))),         # k = l
            (cov([0, 1, 2, 2]), _step_step_relu2(cov([0, 1, 2]))),        # a = b
            (cov([0, 1, 0, 2]), _step_relu_relu(cov([1, 0, 2]))),         # a = k
            (cov([0, 0, 0, 1]), float(_i2_relu(*map(torch.tensor, (c2[0, 0], c2[0, 1], c2[1, 1]))))),
            (cov([0, 0, 1, 1]), c2[1, 0] / math.sqrt(2 * math.pi * c2[0, 0])
             * math.sqrt((c2[1, 1] - c2[0, 1] ** 2 / c2[0, 0]) / (2 * math.pi)) + c2[1, 1] * _p2(c2[0, 1] / math.sqrt(c2[0, 0] * c2[1, 1]))),
        ]
        for C, ref in cases:
            assert abs(I4("relu", torch.tensor(C), check=False).item() - ref) < 1e-7 * max(1.0, abs(ref))


def test_relu_I4_against_orthant_reference():
    # Independent route: Stein's lemma on x3 gives I4 = sum_j C3j E[d_j(...)], three closed-form
    # three-variable terms plus C32 times the four-variable orthant probability, here from scipy's
    # randomised quasi-Monte Carlo (Genz) integrator. Its error is estimated from the spread over
    # three randomisations; we require agreement within 1e-6 of the scale or 5 of those spreads.
    from scipy.stats import multivariate_normal
    from lib.core.integrals import _j3_relu

    def j3(S):                      # E[step(y0) step(y1) relu(y2)], zero mean (closed form, as in lib)
        t = [torch.tensor(S[i, j]) for i, j in ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))]
        return _j3_relu(*t).item() / math.sqrt(2 * math.pi)

    def reference(C, seed):
        def term(j, order):
            S = _cond(C, j)[np.ix_(order, order)]
            return C[3, j] / math.sqrt(2 * math.pi * C[j, j]) * j3(S)
        P4 = multivariate_normal.cdf(np.zeros(4), mean=np.zeros(4), cov=C, maxpts=300_000, abseps=1e-12,
                                     releps=1e-12, rng=np.random.default_rng(seed))
        return term(0, [1, 3, 2]) + term(1, [0, 3, 2]) + C[3, 2] * P4 + term(3, [0, 1, 2])

    rng = np.random.default_rng(5)
    for trial in range(3):
        B = rng.standard_normal((4, 4)) + (1.5 * rng.standard_normal((1, 4)) if trial % 2 else 0)
        C = B @ B.T / 4
        refs = [reference(C, seed) for seed in range(3)]
        err = abs(I4("relu", torch.tensor(C)).item() - np.mean(refs))
        assert err < max(1e-6 * np.abs(np.diag(C)).max(), 5 * np.std(refs)), (trial, err, np.std(refs))


def test_relu_I4_quadrature_converged_near_degenerate():
    # Nearly collinear pairs (1 - corr from 1e-2 to 1e-8) are the hardest case of the path integral.
    # The default 16 nodes must agree with 400 nodes to 1e-5 of the scale (the stated accuracy;
    # measured worst case 1.4e-6).
    rng = np.random.default_rng(0)
    for trial in range(16):
        B = rng.standard_normal((4, 4))
        i, j = [(0, 2), (0, 1), (2, 3), (1, 3)][trial % 4]
        B[j] = B[i] + 10 ** -rng.uniform(1, 4) * rng.standard_normal(4)
        C = torch.tensor(B @ B.T / 4)
        diff = (I4("relu", C) - I4("relu", C, nodes=400)).abs().item()
        assert diff < 1e-5 * C.diagonal().max().item(), (trial, diff)


@pytest.mark.parametrize("g", ["erf", "relu"])
def test_batched_kernels_equal_scalar_integrals(g):
    # i4_block / ode_integrals (used by the ODE, numpy and torch) against the validated I3, I4 on
    # every (k, l, a, b) of random covariances; Stein's lemma I3(k, l, a) = C_kl J1_ka + C_la J2_ka.
    # Agreement to roundoff: 1e-12; for ReLU I4 the block evaluates (k, l, a, b) through its mirror
    # image (l, k, b, a), exact in arithmetic, but with the 1e-8 jitter of collinear x_a = x_b roundoff
    # is amplified up to ~1e-16 / 1e-8: bound 1e-8 there.
    torch.manual_seed(1)
    B_, K, M = 2, 2, 3
    L = K + M
    A = torch.randn(B_, L, L + 1, dtype=torch.float64)
    C = A @ A.transpose(-1, -2) / L
    w = torch.randn(B_, L, dtype=torch.float64)
    blocks = [i4_block(g, C, K), torch.as_tensor(i4_block(g, C.numpy(), K, xp=NUMPY))]
    I2t, J1, J2, I4w = ode_integrals(g, C, K, w, TORCH)
    I2n, J1n, J2n, I4wn = ode_integrals(g, C.numpy(), K, w.numpy(), NUMPY)
    for x, y in ((I2t, I2n), (J1, J1n), (J2, J2n), (I4w, I4wn)):
        assert np.allclose(x.numpy(), y, rtol=1e-12, atol=1e-14)
    for b in range(B_):
        for k in range(K):
            for l in range(K):
                for a in range(L):
                    for c in range(L):
                        idx = [k, l, a, c]
                        ref = I4(g, C[b][idx][:, idx], check=False)
                        for blk in blocks:
                            assert abs(blk[b, k, l, a, c] - ref) < (1e-12 if g == "erf" else 1e-8)
            for l in range(L):
                for a in range(L):
                    idx = [k, l, a]
                    stein = C[b, k, l] * J1[b, k, a] + C[b, l, a] * J2[b, k, a]
                    assert abs(stein - I3(g, C[b][idx][:, idx])) < 1e-12
        I4full = i4_block(g, C, K)[b]
        assert torch.allclose(I4w[b], torch.einsum("klab,a,b->kl", I4full, w[b], w[b]), rtol=1e-12, atol=1e-13)
    diag = torch.diagonal(C, 0, -2, -1)
    I2p, _, _ = pair_integrals(g, diag[:, :K, None], C[:, :K, :], diag[:, None, :])
    assert torch.allclose(I2t, I2p, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("g", ["erf", "relu"])
def test_eg_analytic_matches_monte_carlo(g):
    # eps_g = E[(v.g(lambda) - v~.g(nu))^2] / 2 for a random (Q, R, T): 10^7 samples, 4 standard errors.
    gen = torch.Generator().manual_seed(2)
    A = torch.randn(4, 4, generator=gen, dtype=torch.float64)
    C = A @ A.T / 4
    v, vt = torch.randn(2, generator=gen, dtype=torch.float64), torch.randn(2, generator=gen, dtype=torch.float64)
    exact = eg_analytic(g, C[:2, :2], C[:2, 2:], C[2:, 2:], v, vt).item()
    s = s2 = 0.0
    n, chunk = 10_000_000, 1_000_000
    for _ in range(n // chunk):
        x = torch.randn(chunk, 4, generator=gen, dtype=torch.float64) @ A.T / 2
        e = 0.5 * (G[g](x[:, :2]) @ v - G[g](x[:, 2:]) @ vt) ** 2
        s, s2 = s + e.sum().item(), s2 + (e * e).sum().item()
    mean = s / n
    assert abs(exact - mean) <= 4 * math.sqrt((s2 / n - mean ** 2) / n)


def test_bad_covariances_and_activation_raise():
    C = torch.eye(4, dtype=torch.float64)
    with pytest.raises(ParameterError, match="g="):
        I4("tanh", C)
    bad = C.clone()
    bad[0, 1] = 0.5                                   # not symmetric
    with pytest.raises(ParameterError, match="symmetric"):
        I4("erf", bad)
    with pytest.raises(ParameterError, match="symmetric"):
        I3("relu", bad[:3, :3])
    notpsd = torch.tensor([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    with pytest.raises(ParameterError, match="semi-definite"):
        I3("erf", notpsd)
    with pytest.raises(ParameterError, match="shape"):
        I4("erf", torch.eye(3, dtype=torch.float64))
    with pytest.raises(ParameterError, match="non-finite"):
        check_covariance("C", torch.full((3, 3), float("nan")), 3)
    # roundoff-level asymmetry and a singular (rank-one) PSD covariance are accepted
    ok = torch.ones(4, 4, dtype=torch.float64)
    ok[0, 1] += 1e-14
    assert torch.isfinite(I4("relu", ok)) and torch.isfinite(I4("erf", ok))
