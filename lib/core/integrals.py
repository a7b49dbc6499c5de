"""Gaussian integrals of the activation g and the analytic generalisation error.

I2(C) = E[g(x0) g(x1)] for (x0, x1) ~ N(0, C) with the closed forms of Saad & Solla (1995)
for g = erf(x / sqrt 2) and of Cho & Saul (2009) for ReLU. Arrays broadcast over leading axes.

For the ODE (eqs. S41-S47): I3 = E[g'(x0) x1 g(x2)] and I4 = E[g'(x0) g'(x1) g(x2) g(x3)].
erf: closed forms (Saad & Solla 1995). ReLU: I3 in closed form (Stein's lemma); I4 has none that
we know, and is computed as a one-dimensional integral along a path of covariances whose
derivative (Price's theorem) is a sum of closed forms (:func:`i4_relu`), accurate to ~1e-6
of the covariance scale with 16 Gauss-Legendre nodes. The public :func:`I3`, :func:`I4` take C (..., 3, 3) /
(..., 4, 4) and validate it; the elementwise kernels serve the ODE.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import validate
from .functions import ACTIVATIONS


def I2(g: str, C00: torch.Tensor, C01: torch.Tensor, C11: torch.Tensor) -> torch.Tensor:
    """E[g(x0) g(x1)] with Var x0 = C00, Var x1 = C11, Cov = C01."""
    validate.choice("g", g, ACTIVATIONS)
    if g == "erf":
        return (2.0 / math.pi) * torch.asin(C01 / torch.sqrt((1.0 + C00) * (1.0 + C11)))
    # ReLU: (sqrt(C00 C11 - C01^2) + C01 (pi/2 + asin(C01 / sqrt(C00 C11)))) / (2 pi)
    prod = C00 * C11
    det = torch.clamp(prod - C01 * C01, min=0.0)
    cosang = torch.clamp(C01 / torch.sqrt(prod), -1.0, 1.0)
    return (torch.sqrt(det) + C01 * (math.pi / 2 + torch.asin(cosang))) / (2 * math.pi)


def _pairwise_I2(g: str, A: torch.Tensor, dA: torch.Tensor, B: torch.Tensor | None = None,
                 dB: torch.Tensor | None = None) -> torch.Tensor:
    """Matrix of I2 between the units of two groups: A (..., P, Q) cross-covariances,
    dA (..., P) variances of the first group, dB (..., Q) of the second."""
    dB = dA if dB is None else dB
    return I2(g, dA.unsqueeze(-1), A, dB.unsqueeze(-2))


def eg_analytic(g: str, Q: torch.Tensor, R: torch.Tensor, T: torch.Tensor, v: torch.Tensor,
                v_t: torch.Tensor) -> torch.Tensor:
    """Generalisation error eps_g = E[(yhat - y)^2] / 2 from the order parameters (eq. S48).

    Q (..., K, K), R (..., K, M), T (..., M, M), v (..., K), v_t (..., M) -> (...).
    """
    dQ = torch.diagonal(Q, dim1=-2, dim2=-1)
    dT = torch.diagonal(T, dim1=-2, dim2=-1)
    ss = _pairwise_I2(g, Q, dQ)
    tt = _pairwise_I2(g, T, dT)
    st = _pairwise_I2(g, R, dQ, dB=dT)
    quad = lambda x, M, y: torch.einsum("...k,...kl,...l->...", x, M, y)
    return 0.5 * quad(v, ss, v) + 0.5 * quad(v_t, tt, v_t) - quad(v, st, v_t)



# ------------------------------------------------------------------------------------------------
# Integrals used by the ODE (eqs. S41-S47). The elementwise formulas take an array namespace ``xp``
# (TORCH or NUMPY below) so the ODE can run them on numpy arrays on the CPU, where numpy's per-call
# overhead is several times smaller than torch's for these tiny arrays, and on torch tensors on CUDA.
# ------------------------------------------------------------------------------------------------
class _TorchOps:
    name = "torch"
    asin = staticmethod(torch.asin)
    sqrt = staticmethod(torch.sqrt)

    @staticmethod
    def clip(x, lo=None, hi=None):
        return torch.clamp(x, lo, hi)

    @staticmethod
    def stack(xs, axis=0):
        return torch.stack(torch.broadcast_tensors(*xs), dim=axis)

    @staticmethod
    def concat(xs, axis=0):
        return torch.cat(xs, dim=axis)

    @staticmethod
    def diagonal(x, axis1, axis2):
        return torch.diagonal(x, 0, axis1, axis2)

    @staticmethod
    def broadcast_to(x, shape):
        return x.expand(shape)

    @staticmethod
    def asarray(x, like):
        return torch.as_tensor(x, dtype=like.dtype, device=like.device)


class _NumpyOps:
    name = "numpy"
    asin = staticmethod(np.arcsin)
    sqrt = staticmethod(np.sqrt)

    @staticmethod
    def clip(x, lo=None, hi=None):       # np.clip's Python wrapper costs ~10 us a call
        if lo is not None:
            x = np.maximum(x, lo)
        return x if hi is None else np.minimum(x, hi)

    @staticmethod
    def stack(xs, axis=0):
        return np.stack(np.broadcast_arrays(*xs), axis=axis)

    @staticmethod
    def concat(xs, axis=0):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def diagonal(x, axis1, axis2):
        return np.diagonal(x, 0, axis1, axis2)

    @staticmethod
    def broadcast_to(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def asarray(x, like):
        return np.asarray(x, dtype=like.dtype)


TORCH, NUMPY = _TorchOps(), _NumpyOps()

_SYM_TOL = 1e-10     # relative asymmetry tolerated in a covariance
_PSD_TOL = 1e-10     # relative negative eigenvalue tolerated (roundoff)
_TWO_PI = 2.0 * math.pi


def check_covariance(name: str, C, n: int) -> torch.Tensor:
    """Validate a batch of covariances C (..., n, n): finite, symmetric and positive semi-definite up
    to roundoff (relative 1e-10). Returns a floating-point tensor; raises ParameterError otherwise."""
    if not isinstance(C, torch.Tensor):
        try:
            C = torch.as_tensor(C, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise validate.ParameterError(f"{name} must be a numeric array: {err}") from None
    if not C.is_floating_point():
        C = C.to(torch.float64)
    if C.dim() < 2 or C.shape[-1] != n or C.shape[-2] != n:
        raise validate.ParameterError(f"{name} must have shape (..., {n}, {n}), got {tuple(C.shape)}")
    if not bool(torch.isfinite(C).all()):
        raise validate.ParameterError(f"{name} has non-finite entries")
    scale = C.abs().amax(dim=(-2, -1)).clamp_min(1e-300)
    if bool(((C - C.transpose(-1, -2)).abs().amax(dim=(-2, -1)) > _SYM_TOL * scale).any()):
        raise validate.ParameterError(f"{name} is not symmetric")
    lam_min = torch.linalg.eigvalsh(0.5 * (C + C.transpose(-1, -2)))[..., 0]
    if bool((lam_min < -_PSD_TOL * scale).any()):
        raise validate.ParameterError(
            f"{name} is not positive semi-definite (smallest eigenvalue {float(lam_min.min()):.3g})")
    return C


def _p2(rho, xp=TORCH):
    """Orthant probability P(y1 > 0, y2 > 0) of a zero-mean pair with correlation rho."""
    return 0.25 + xp.asin(xp.clip(rho, -1.0, 1.0)) / _TWO_PI


# --- two-point integrals: I2 and the two pieces of Stein's lemma --------------------------------
def pair_integrals(g: str, C00, C01, C11, xp=TORCH):
    """(I2, J1, J2) for (x0, x1) ~ N(0, [[C00, C01], [C01, C11]]), elementwise:
    I2 = E[g(x0) g(x1)], J1 = E[g''(x0) g(x1)], J2 = E[g'(x0) g'(x1)].

    Stein's lemma writes every three-point integral of the ODE through them: for y jointly Gaussian
    with x, E[g'(x0) y g(x1)] = Cov(y, x0) J1 + Cov(y, x1) J2 (for x1 = x0 the sum J1 + J2 is
    E[(g' g)'(x0)], so no case is special). erf: J2 = (2/pi) / sqrt((1+C00)(1+C11) - C01^2),
    J1 = -J2 C01 / (1+C00). ReLU: J2 = 1/4 + asin(rho)/(2 pi), J1 = sqrt(C00 C11 - C01^2)/(2 pi C00).
    """
    if g == "erf":
        e00 = 1.0 + C00
        J2 = (2.0 / math.pi) / xp.sqrt(e00 * (1.0 + C11) - C01 * C01)
        I2v = (2.0 / math.pi) * xp.asin(C01 / xp.sqrt(e00 * (1.0 + C11)))
        return I2v, -J2 * C01 / e00, J2
    det = xp.clip(C00 * C11 - C01 * C01, 0.0)
    sdet = xp.sqrt(det)
    rho = C01 / xp.sqrt(C00 * C11)
    J2 = _p2(rho, xp)
    I2v = (sdet + C01 * (math.pi / 2 + xp.asin(xp.clip(rho, -1.0, 1.0)))) / _TWO_PI
    return I2v, sdet / (_TWO_PI * C00), J2


# --- closed forms of I3 and erf I4, elementwise on broadcastable covariance entries -------------
def i3_erf(C00, C01, C02, C12, C22, xp=TORCH):
    """E[g'(x0) x1 g(x2)], g = erf(x / sqrt 2) (Saad & Solla 1995)."""
    e00 = 1.0 + C00
    return (2.0 / math.pi) * (C12 * e00 - C01 * C02) / (e00 * xp.sqrt(e00 * (1.0 + C22) - C02 * C02))


def i3_relu(C00, C01, C02, C12, C22, xp=TORCH):
    """E[step(x0) x1 relu(x2)]: Stein's lemma on x1 gives
    C01 sqrt(C00 C22 - C02^2) / (2 pi C00) + C12 (1/4 + asin(C02 / sqrt(C00 C22)) / (2 pi))."""
    det = xp.clip(C00 * C22 - C02 * C02, 0.0)
    return C01 * xp.sqrt(det) / (_TWO_PI * C00) + C12 * _p2(C02 / xp.sqrt(C00 * C22), xp)


def i4_erf(C00, C11, C01, C02, C03, C12, C13, C22, C23, C33, xp=TORCH):
    """E[g'(x0) g'(x1) g(x2) g(x3)], g = erf(x / sqrt 2) (Saad & Solla 1995)."""
    e00, e11 = 1.0 + C00, 1.0 + C11
    L4 = e00 * e11 - C01 * C01
    L0 = L4 * C23 - C12 * C13 * e00 - C02 * C03 * e11 + C01 * (C02 * C13 + C03 * C12)
    L1 = L4 * (1.0 + C22) - C12 * C12 * e00 - C02 * C02 * e11 + 2.0 * C01 * C02 * C12
    L2 = L4 * (1.0 + C33) - C13 * C13 * e00 - C03 * C03 * e11 + 2.0 * C01 * C03 * C13
    return (4.0 / math.pi ** 2) * xp.asin(xp.clip(L0 / xp.sqrt(L1 * L2), -1.0, 1.0)) / xp.sqrt(L4)


# --- ReLU I4 by a one-dimensional path integral ----------------------------------------------------
def _i2_relu(C00, C01, C11, xp=TORCH):
    det = xp.clip(C00 * C11 - C01 * C01, 0.0)
    rho = xp.clip(C01 / xp.sqrt(xp.clip(C00 * C11, 1e-300)), -1.0, 1.0)
    return (xp.sqrt(det) + C01 * (math.pi / 2 + xp.asin(rho))) / _TWO_PI


def _j3_relu(S11, S22, S33, S12, S13, S23, xp=TORCH):
    """sqrt(2 pi) E[step(y1) step(y2) relu(y3)] for zero-mean (y1, y2, y3) with covariance S.

    Stein's lemma on the factor y3 of relu(y3) = y3 step(y3) leaves three terms
    S_i3 E[delta(y_i) prod_{j != i} step(y_j)], each a density at 0 times a conditional orthant
    probability 1/4 + asin(rho_{jk|i}) / (2 pi)."""
    d12 = xp.clip(S11 * S22 - S12 * S12, 1e-300)
    d13 = xp.clip(S11 * S33 - S13 * S13, 1e-300)
    d23 = xp.clip(S22 * S33 - S23 * S23, 1e-300)
    r23_1 = (S11 * S23 - S12 * S13) / xp.sqrt(d12 * d13)
    r13_2 = (S22 * S13 - S12 * S23) / xp.sqrt(d12 * d23)
    r12_3 = (S33 * S12 - S13 * S23) / xp.sqrt(d13 * d23)
    return (S13 / xp.sqrt(S11) * _p2(r23_1, xp) + S23 / xp.sqrt(S22) * _p2(r13_2, xp)
            + xp.sqrt(S33) * _p2(r12_3, xp))


RELU_I4_NODES = 16   # Gauss-Legendre nodes of the path integral (accuracy: tests/test_integrals.py)
_RELU_JITTER = 1e-8  # relative jitter on Var x2, Var x3: breaks x2 = x3 exactly; bias O(1e-8),
                     # roundoff amplified to ~1e-16 / 1e-8 (the optimum of the two)
_GL_CACHE: dict = {}


def _path_nodes(nodes: int):
    """Nodes s_q = 1 - u_q^4, weights 4 u_q^3 w_q of Gauss-Legendre in u on (0, 1), and
    1 - s_q^2 computed without cancellation. The
    substitution makes the (1 - s)^(-1/2) and (1 - s)^(1/2) end-point singularities of degenerate
    covariances smooth in u, and spreads the sharp features of nearly degenerate ones (at
    1 - s ~ 1 - corr) over u ~ (1 - corr)^(1/4): the worst error over correlations up to 1 - 1e-8
    falls from 2e-5 (s = 1 - u^2) to 1.4e-6 with 16 nodes."""
    if nodes not in _GL_CACHE:
        x, w = np.polynomial.legendre.leggauss(nodes)
        u, w = 0.5 * (x + 1.0), 0.5 * w
        _GL_CACHE[nodes] = (1.0 - u ** 4, 4.0 * u ** 3 * w, u ** 4 * (2.0 - u ** 4))
    return _GL_CACHE[nodes]


# Entries of the 4x4 covariance of (x0, x1, x2, x3) that the ReLU path integral reads, gathered in
# one indexing operation: ten "base" entries, then eight entries for each of the four Price terms
# (i, k, j, o) = (conditioned step variable, other step variable, differentiated relu variable,
# other relu variable).
_BASE = ((0, 0), (1, 1), (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
_CASES = ((0, 1, 2, 3), (0, 1, 3, 2), (1, 0, 2, 3), (1, 0, 3, 2))


def _case_entries(i, k, j, o):
    return ((i, i), (k, k), (j, j), (o, o), (i, j), (i, o), (k, j), (k, o))


def _relu_table(var: np.ndarray, L: int) -> np.ndarray:
    """Flat indices (10 + 8 * 4, P) into a (L, L) covariance for the combinations var (4, P)."""
    flat = lambda p, q: var[p] * L + var[q]
    base = [flat(p, q) for p, q in _BASE]
    cases = [[flat(p, q) for p, q in _case_entries(*c)] for c in _CASES]       # [case][field]
    stacked = [cases[c][f] for f in range(8) for c in range(4)]                 # field-major
    return np.stack(base + stacked)


_DEVICE_CACHE: dict = {}


def _on_device(key, make, like, xp):
    """A constant array made by ``make()`` (numpy), cached per backend, dtype and device (so no
    host-to-device copy happens inside a CUDA graph capture)."""
    if xp is NUMPY:
        return make()
    k = (key, like.dtype, like.device)
    if k not in _DEVICE_CACHE:
        arr = make()
        _DEVICE_CACHE[k] = torch.as_tensor(arr, dtype=like.dtype if arr.dtype.kind == "f" else None,
                                           device=like.device)
    return _DEVICE_CACHE[k]


def _i4_relu_gathered(G, nodes: int, xp):
    """ReLU I4 from gathered covariance entries G (..., 42, P) (see :func:`_relu_table`) -> (..., P)."""
    s = _on_device(("s", nodes), lambda: _path_nodes(nodes)[0], G, xp)
    q = _on_device(("q", nodes), lambda: _path_nodes(nodes)[2], G, xp)            # 1 - s^2, exactly
    ws = _on_device(("w", nodes), lambda: _path_nodes(nodes)[1], G, xp)
    C00, C11, C01, C02, C03, C12, C13, C22, C23, C33 = (G[..., f, :] for f in range(10))
    Cii, Ckk, Cjj, Coo, Cij, Cio, Ckj, Cko = (G[..., 10 + 4 * f:14 + 4 * f, :, None] for f in range(8))
    jit = _RELU_JITTER * 0.5 * (C22 + C33)
    C22, C33 = C22 + jit, C33 + jit
    Cjj, Coo = Cjj + jit[..., None, :, None], Coo + jit[..., None, :, None]
    start = 0.25 * _i2_relu(C22, C23, C33, xp)
    # Variances along the path are written as (value at s = 1, clipped at 0) + (1 - s^2) (...) so that
    # they stay positive near s = 1 for degenerate covariances, whatever the number of nodes.
    det01 = (xp.clip(C00 * C11 - C01 * C01, 0.0) + 0.0 * C01)[..., None] + q * (C01 * C01)[..., None]
    C00, C11, C01, C02, C03, C12, C13, C22, C23, C33 = (x[..., None] for x in
                                                        (C00, C11, C01, C02, C03, C12, C13, C22, C23, C33))
    s2 = s * s
    # Price term of C01: (x2, x3) given x0 = x1 = 0 under C(s)
    c01 = s * C01

    def cond01(Ca0, Ca1, Cb0, Cb1):
        return s2 * (Ca0 * (C11 * Cb0 - c01 * Cb1) + Ca1 * (C00 * Cb1 - c01 * Cb0)) / det01

    f01 = C01 * _i2_relu(C22 - cond01(C02, C12, C02, C12), C23 - cond01(C02, C12, C03, C13),
                         C33 - cond01(C03, C13, C03, C13), xp) / (_TWO_PI * xp.sqrt(det01))
    # Price terms of C_ij, i in {0, 1}, j in {2, 3} (leading case axis): condition on x_i = 0
    C01, C23 = C01[..., None, :, :], C23[..., None, :, :]
    a1, a2, a3 = C01 * C01 / Cii, Cij * Cij / Cii, Cio * Cio / Cii
    var = lambda Cxx, a: xp.clip(Cxx - a, 0.0) + q * a
    r = s2 / Cii
    j3 = _j3_relu(var(Ckk, a1), var(Cjj, a2), var(Coo, a3),
                  s * Ckj - r * C01 * Cij, s * Cko - r * C01 * Cio, C23 - r * Cij * Cio, xp)
    fij = (Cij * j3 / xp.sqrt(Cii)).sum(axis=-3) / _TWO_PI
    return start + ((f01 + fij) * ws).sum(axis=-1)


def i4_relu(C, nodes: int = RELU_I4_NODES, xp=TORCH):
    """E[step(x0) step(x1) relu(x2) relu(x3)] for x ~ N(0, C), C (..., 4, 4) -> (...), by a
    one-dimensional path integral.

    Along C(s), s in [0, 1], the entries C01, C02, C03, C12, C13 are multiplied by s (diagonal and
    C23 fixed: C(s) is a convex combination of C and its block-diagonal part, so it stays PSD, and it
    is non-singular for s < 1 except where x2, x3 are collinear, which a 1e-8 relative jitter on
    their variances resolves). At s = 0, x0 and x1 are independent of each other and of (x2, x3):
    I4 = I2_relu(C22, C23, C33) / 4. Price's theorem, d E[h] / d C_ij = E[d_i d_j h], gives the
    derivative along the path in closed form:
      d_0 d_1 h = delta(x0) delta(x1) relu(x2) relu(x3):  phi_2(0, 0) I2_relu(cov of x2, x3 | x0 = x1 = 0),
      d_i d_j h = delta(x_i) step(x_k) step(x_j) relu(x_o):  phi(0) E[step step relu | x_i = 0]
    (i, k in {0, 1}, j, o in {2, 3}; the last by Stein's lemma and bivariate orthant probabilities).
    The s-integral is Gauss-Legendre in u = (1 - s)^(1/4) with ``nodes`` points (see
    :func:`_path_nodes`); 16 nodes give ~1e-6 of the covariance scale in the worst (nearly
    degenerate) cases, roundoff otherwise.
    """
    table = _on_device("table4", lambda: _relu_table(np.arange(4)[:, None], 4)[:, 0], C, xp)
    G = C.reshape(*C.shape[:-2], 16)[..., table]
    return _i4_relu_gathered(G[..., None], nodes, xp)[..., 0]


# --- all four-point integrals of one ODE step ---------------------------------------------------
_BLOCK_CACHE: dict = {}


def _block_indices(K: int, L: int):
    """Gather table (42, P) of the P = K(K+1)/2 * L(L+1)/2 distinct (k <= l < K, a <= b < L)
    combinations of a (L, L) covariance, and the place of each (k, l, a, b) among them (I4 is
    symmetric under k <-> l and under a <-> b)."""
    if (K, L) not in _BLOCK_CACHE:
        combos = [(k, l, a, b) for k in range(K) for l in range(k, K) for a in range(L) for b in range(a, L)]
        where = {c: i for i, c in enumerate(combos)}
        full = np.array([where[(min(k, l), max(k, l), min(a, b), max(a, b))]
                         for k in range(K) for l in range(K) for a in range(L) for b in range(L)])
        _BLOCK_CACHE[(K, L)] = (_relu_table(np.array(combos).T, L), full)
    return _BLOCK_CACHE[(K, L)]


def i4_block(g: str, C, K: int, xp=TORCH, nodes: int = RELU_I4_NODES):
    """I4(k, l, a, b) = E[g'(x_k) g'(x_l) g(x_a) g(x_b)] for all k, l < K and a, b < L from the
    covariance C (B, L, L) of all L local fields (students first): (B, K, K, L, L).

    erf: I4 is the erf-I2 of the covariance of (x_a, x_b) conditioned on the noisy observations
    x_k + n_k, x_l + n_l, n ~ N(0, 1): with S = C - C_{:,k} C_{k,:} / (1 + C_kk) and
    S' = S - S_{:,l} S_{l,:} / (1 + S_ll), I4 = (4 / pi^2) asin(S'_ab / sqrt((1 + S'_aa)(1 + S'_bb)))
    / sqrt((1 + C_kk)(1 + S_ll)) -- the closed form of Saad & Solla, written through two Schur
    complements. ReLU: :func:`i4_relu` on the K(K+1)/2 x L(L+1)/2 distinct combinations.
    """
    if g == "erf":
        Ck = C[:, :K, :]                                          # (B, K, L)
        ek = 1.0 + xp.diagonal(C[:, :K, :K], -2, -1)              # (B, K)
        S = C[:, None, :, :] - Ck[:, :, :, None] * Ck[:, :, None, :] / ek[:, :, None, None]   # (B,K,L,L)
        Sl = S[:, :, :K, :]                                       # (B, K, K, L)
        el = 1.0 + xp.diagonal(S[:, :, :K, :K], -2, -1)           # (B, K, K): 1 + S^(k)_ll
        S2 = S[:, :, None, :, :] - Sl[:, :, :, :, None] * Sl[:, :, :, None, :] / el[..., None, None]
        n = xp.sqrt(1.0 + xp.diagonal(S2, -2, -1))                # (B, K, K, L)
        return (4.0 / math.pi ** 2) * xp.asin(xp.clip(S2 / (n[..., :, None] * n[..., None, :]), -1.0, 1.0)) \
            / xp.sqrt(ek[:, :, None] * el)[..., None, None]
    B, L = C.shape[0], C.shape[-1]
    table = _on_device(("table", K, L), lambda: _block_indices(K, L)[0], C, xp)
    full = _on_device(("full", K, L), lambda: _block_indices(K, L)[1], C, xp)
    vals = _i4_relu_gathered(C.reshape(B, L * L)[:, table], nodes, xp)      # (B, P)
    return vals[:, full].reshape(B, K, K, L, L)


# --- public, validated, (..., 3, 3) / (..., 4, 4) -------------------------------------------------
def I3(g: str, C, *, check: bool = True) -> torch.Tensor:
    """I3 = E[g'(x0) x1 g(x2)] for x ~ N(0, C), C (..., 3, 3) -> (...). Closed forms for erf
    (Saad & Solla 1995) and ReLU (Stein's lemma). ``check`` validates C (symmetric, PSD)."""
    validate.choice("g", g, ACTIVATIONS)
    if check:
        C = check_covariance("C", C, 3)
    fn = i3_erf if g == "erf" else i3_relu
    return fn(C[..., 0, 0], C[..., 0, 1], C[..., 0, 2], C[..., 1, 2], C[..., 2, 2])


def I4(g: str, C, *, check: bool = True, nodes: int = RELU_I4_NODES) -> torch.Tensor:
    """I4 = E[g'(x0) g'(x1) g(x2) g(x3)] for x ~ N(0, C), C (..., 4, 4) -> (...). erf: closed form
    (Saad & Solla 1995); ReLU: the path integral of :func:`i4_relu` with ``nodes`` points."""
    validate.choice("g", g, ACTIVATIONS)
    nodes = validate.integer("nodes", nodes, 2)
    if check:
        C = check_covariance("C", C, 4)
    if g == "relu":
        return i4_relu(C, nodes=nodes)
    return i4_erf(C[..., 0, 0], C[..., 1, 1], C[..., 0, 1], C[..., 0, 2], C[..., 0, 3], C[..., 1, 2],
                  C[..., 1, 3], C[..., 2, 2], C[..., 2, 3], C[..., 3, 3])


def ode_integrals(g: str, C, K: int, w, xp=TORCH, nodes: int = RELU_I4_NODES):
    """Every Gaussian integral of one ODE right-hand side, in one batched call.

    C (B, L, L): covariance of the local fields (K students first, then the teachers); w (B, L): the
    second-layer weights (v, -v~). Returns I2, J1, J2 (B, K, L) of :func:`pair_integrals` for the
    pairs (z_k, z_a), and I4w (B, K, K) = sum_ab w_a w_b I4(k, l, a, b). For erf the pieces share the
    conditional covariance S^(k) = C - C_{:,k} C_{k,:} / (1 + C_kk) (see :func:`i4_block`):
    J2_ka = (2/pi) / sqrt((1 + C_kk)(1 + S^(k)_aa)) and J1_ka = -J2_ka C_ka / (1 + C_kk).
    """
    B, L = C.shape[0], C.shape[-1]
    ww = (w[:, :, None] * w[:, None, :]).reshape(B, 1, L * L, 1)             # w_a w_b
    if g != "erf":
        diag = C.diagonal(0, -2, -1)
        I2v, J1, J2 = pair_integrals(g, diag[:, :K, None], C[:, :K, :], diag[:, None, :], xp)
        return I2v, J1, J2, (i4_block(g, C, K, xp, nodes).reshape(B, K, K, L * L) @ ww)[..., 0]
    e = C.diagonal(0, -2, -1) + 1.0                               # (B, L)
    ek = e[:, :K, None]                                           # (B, K, 1)
    Ck = C[:, :K, :]                                              # (B, K, L)
    Ckn = Ck / ek
    I2v = (2.0 / math.pi) * xp.asin(Ck * (ek * e[:, None, :]) ** -0.5)
    S = C[:, None, :, :] - Ck[:, :, :, None] * Ckn[:, :, None, :]                     # (B, K, L, L)
    dS = S.diagonal(0, -2, -1) + 1.0                              # (B, K, L): 1 + S^(k)_aa
    J2 = (2.0 / math.pi) * (ek * dS) ** -0.5
    Sl = S[:, :, :K, :]                                           # (B, K, K, L): S^(k)_{l, .}
    el = dS[:, :, :K]                                             # (B, K, K): 1 + S^(k)_ll
    S2 = S[:, :, None, :, :] - Sl[:, :, :, :, None] * (Sl / el[..., None])[:, :, :, None, :]
    n = (S2.diagonal(0, -2, -1) + 1.0) ** -0.5                    # (B, K, K, L)
    A = xp.asin(S2 * (n[..., :, None] * n[..., None, :]))         # |arg| < 1 strictly for erf
    I4w = (A.reshape(B, K, K, L * L) @ ww)[..., 0] * ((4.0 / math.pi ** 2) * (ek * el) ** -0.5)
    return I2v, -J2 * Ckn, J2, I4w
