"""The ODE of :mod:`lib.core.ode` with the constant a = E[f(u)] of a folding function that is not odd.

For f with a != 0 (ReLU folding: a = 1 / sqrt(2 pi)) the student input is X = a 1 + Xbar with Xbar = f(U) - a
of mean ~0, so its preactivation lambda_k = W_k X / sqrt N = mu_k + lambdabar_k has the mean

    mu_k = a omega_k,   omega_k = W_k . 1 / sqrt N,

and the Gaussian equivalent model makes (lambdabar, nu) jointly Gaussian with the covariance [[Q, R], [R^T, T]]
of :mod:`lib.core.ode` (Q = (c - a^2 - b^2) Omega + b^2 Sigma is the covariance of lambdabar). What a enters:

* every average of S41-S47 is over the *shifted* Gaussian: z = (lambda, nu) has mean (mu, 0);
* the direction 1 of input space has the eigenvalue a^2 N of E[X X^T]: per step omega_k moves by
  -lr a v_k (yhat - y) g'(lambda_k), so in t = steps / N

      d mu_k / dt = -kappa v_k E[(yhat - y) g'(lambda_k)],   kappa = lr a^2 N,

  a fast variable (relaxation time of order 1 / (lr a^2 N)) that keeps E[v_k (yhat - y) g'(lambda_k)]
  near zero: the learned bias of unit k;
* the bulk Omega = W W^T / N (the component of W along 1 adds only omega_k omega_l / N) receives the second-
  order term of S43 with |Xbar|^2 / N = c - a^2 instead of c (the a^2 part moves omega, not the bulk).

Dropping all three ("the ODE without the a-term") is :func:`lib.core.ode.integrate_ode` with the same a, b, c.

Integrals. With a mean, the closed forms of :mod:`lib.core.integrals` do not apply; every average is taken
over one fixed set of ``samples`` scrambled-Sobol normal points (quasi Monte Carlo, the same points at every
step, so the right-hand side is smooth in the state), mapped by the symmetric square root of the
covariance. The derivative averages come from Stein's lemma as in :mod:`lib.core.ode`, with
J1_ka = E[g''(z_k) g(z_a)]: for erf, g''(x) = -x g'(x) (sampled); for ReLU, g'' is a delta and
J1_ka = p_k(0) E[relu(z_a) | z_k = 0] in closed form (J1_kk = 0). The stiff mean is stepped linearly
implicitly: its Jacobian is -kappa G[:, :K] with the matrix G of :mod:`lib.core.ode`.
With a = 0 the system is :mod:`lib.core.ode`'s up to the quadrature error (tested).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import special, stats

from . import validate
from .integrals import NUMPY
from .model import Model, Weights
from .ode import ODEState, _System
from .trajectory import Trajectory, record_steps

SAMPLES = 1 << 13


def _normal_points(samples: int, dims: int, seed: int = 0) -> np.ndarray:
    """(samples, dims) standard normal quasi-random points (scrambled Sobol through the normal quantile)."""
    u = stats.qmc.Sobol(d=dims, scramble=True, seed=seed).random(samples)
    return special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def _g(name: str, x: np.ndarray):
    """g, g' and g'' (None for ReLU, whose g'' is a delta) on an array."""
    if name == "erf":
        dg = math.sqrt(2 / math.pi) * np.exp(-0.5 * x * x)
        return special.erf(x / math.sqrt(2)), dg, -x * dg
    return np.maximum(x, 0.0), (x > 0).astype(x.dtype), None


def shifted_integrals(g: str, C: np.ndarray, mean: np.ndarray, K: int, w: np.ndarray, Z: np.ndarray) -> dict:
    """Averages over z ~ N(mean, C) (one batch element): C (L, L), mean (L,), w (L,) = (v, -v~), Z (n, L)
    standard normal points. Returns I2, E1, J1, J2 (K, L): E[g(z_k) g(z_a)], E[g'(z_k) g(z_a)],
    E[g''(z_k) g(z_a)], E[g'(z_k) g'(z_a)]; I4w (K, K): E[g'(z_k) g'(z_l) (w . g(z))^2]; M2 (L, L): E[g g^T]."""
    lam, U = np.linalg.eigh(0.5 * (C + C.T))
    A = U * np.sqrt(np.clip(lam, 0.0, None))
    z = mean + Z @ A.T                                                   # (n, L)
    G, dG, ddG = _g(g, z)
    n = z.shape[0]
    M2 = G.T @ G / n
    E1 = dG[:, :K].T @ G / n
    J2 = dG[:, :K].T @ dG / n
    err = G @ w                                                          # yhat - y per point
    I4w = (dG[:, :K] * (err * err)[:, None]).T @ dG[:, :K] / n
    if ddG is not None:
        J1 = ddG[:, :K].T @ G / n
    else:                                                                # ReLU: p_k(0) E[relu(z_a) | z_k = 0]
        d = np.diag(C)
        J1 = np.zeros((K, C.shape[0]))
        for k in range(K):
            pk = math.exp(-0.5 * mean[k] ** 2 / d[k]) / math.sqrt(2 * math.pi * d[k])
            m = mean - C[:, k] * mean[k] / d[k]
            s = np.sqrt(np.clip(d - C[:, k] ** 2 / d[k], 1e-300, None))
            J1[k] = pk * (m * special.ndtr(m / s) + s * np.exp(-0.5 * (m / s) ** 2) / math.sqrt(2 * math.pi))
            J1[k, k] = 0.0
    return {"I2": M2[:K], "E1": E1, "J1": J1, "J2": J2, "I4w": I4w, "M2": M2}


class _MeanSystem(_System):
    """:class:`lib.core.ode._System` (numpy) with the mean mu (B, K) of the student fields appended to s."""

    def __init__(self, state: ODEState, lr: float, N: int, a: float, samples: int, mean_term: bool):
        super().__init__(state, lr, NUMPY, 16)
        self.kappa = lr * a * a * N if mean_term else 0.0
        self.c = state.c - a * a if mean_term else state.c                  # bulk |Xbar|^2 / N
        self.Zpts = _normal_points(samples, self.L)

    def integrals(self, s, Z):
        """C (B, L, L), mean (B, L) and the shifted integrals of every batch element."""
        xp, K, L = self.xp, self.K, self.L
        B = Z.shape[0]
        base = s[:, :K * K + K]
        C = (np.concatenate([base, Z @ self.u], axis=-1) @ self.Mc + self.C0).reshape(B, L, L)
        w = np.concatenate([s[:, K * K:K * K + K], self.mvt], axis=-1)
        mean = np.concatenate([s[:, K * K + K:], np.zeros((B, L - K))], axis=-1)
        out = [shifted_integrals(self.g, C[b], mean[b], K, w[b], self.Zpts) for b in range(B)]
        return C, w, mean, {k: np.stack([o[k] for o in out]) for k in out[0]}

    def rhs_mean(self, y):
        """(ds/dt without the mu part, dZ/dt, d mu/dt, G) at y."""
        K, L, lr = self.K, self.L, self.lr
        s, Z = y
        B = Z.shape[0]
        C, w, _, it = self.integrals(s, Z)
        v = s[:, K * K:K * K + K]
        wc, vc = w[:, :, None], v[:, :, None]
        G = vc * (it["J2"] * w[:, None, :] + self.eye * (it["J1"] @ wc))     # (B, K, L)
        U = G @ C[:, :, :K]
        quad = (vc * v[:, None, :]) * it["I4w"]
        dOmega = (U + U.swapaxes(1, 2)) * (-lr) + quad * (self.c * lr * lr)   # S43, bulk
        dv = (it["I2"] @ wc) * (-lr)                                          # S47
        params = np.concatenate([G.reshape(B, K * L), quad.reshape(B, K * K), self.zeros], axis=-1)
        P = (params @ self.dense).reshape(B, self.nz, self.nc) if self.dense is not None else \
            (params[:, self.i1] * self.k1 + params[:, self.i2] * self.k2).reshape(B, self.nz, self.nc)
        dZ = P @ np.concatenate([Z, self.rho * Z, self.tail], axis=1)         # S41, S46
        dmu = -self.kappa * v * (it["E1"] @ wc)[..., 0]
        return np.concatenate([dOmega.reshape(B, K * K), dv[..., 0]], axis=-1), dZ, dmu, G

    def step(self, y, dt):
        """Euler for Omega, v, r, sigma; linearly implicit Euler for the stiff mu."""
        K = self.K
        s, Z = y
        ds, dZ, dmu, G = self.rhs_mean(y)
        A = np.eye(K) + dt * self.kappa * G[:, :, :K]
        mu = s[:, K * K + K:] + dt * np.linalg.solve(A, dmu[..., None])[..., 0]
        return np.concatenate([s[:, :K * K + K] + dt * ds, mu], axis=-1), Z + dt * dZ

    def observe_mean(self, y):
        """Q, R, v, Omega, Sigma, mu and eg (with the mean) of y."""
        Q, R, _, Omega, Sigma = self.observe(y)
        s, Z = y
        K = self.K
        v = s[:, K * K:K * K + K] * 1.0
        _, w, _, it = self.integrals(s, Z)
        eg = 0.5 * np.einsum("ba,bac,bc->b", w, it["M2"], w)
        return [Q, R, v, Omega, Sigma, s[:, K * K + K:] * 1.0, eg]


def initial_mean(model: Model, weights: Weights) -> torch.Tensor:
    """mu_k = a W_k . 1 / sqrt N at the start, (B, K)."""
    a = model.abc[0]
    return a * weights.W.to(torch.float64).sum(-1) / math.sqrt(model.N)


def integrate_ode_mean(model: Model, weights: Weights, t_max: float, *, dt: float = 0.01, times=None,
                       points: int = 40, samples: int = SAMPLES, mean_term: bool = True) -> Trajectory:
    """Integrate the ODE with the a-term (module docstring) from ``weights`` to ``t_max`` with step ``dt``.

    Output at ``times`` (default: the SGD recorder's, ``record_steps(t_max, N, points) / N``), linear
    interpolation between grid points as in :func:`lib.core.ode.integrate_ode`. Returns a Trajectory with
    t, Q, R, v, eg (E[(yhat - y)^2] / 2 over the shifted Gaussian), T, Omega, Sigma and meta["mu"]
    (B, times, K). ``mean_term=False`` keeps mu at 0 and the bulk term c: the ODE without the a-term, up to
    quadrature (a check of this module against :mod:`lib.core.ode`).
    """
    if not isinstance(model, Model):
        raise validate.ParameterError("model must be a lib.core.model.Model")
    t_max = validate.real("t_max", t_max, positive=True)
    dt = validate.real("dt", dt, positive=True, maximum=t_max)
    samples = validate.integer("samples", samples, 64)
    state = ODEState.from_weights(model, weights)
    a = state.a
    sys = _MeanSystem(state, model.lr, model.N, a, samples, mean_term)
    times = record_steps(t_max, model.N, validate.integer("points", points, 1)) / model.N if times is None \
        else np.asarray(times, dtype=np.float64)
    s0, Z = sys.initial(state)
    mu0 = initial_mean(model, weights).numpy() if mean_term else np.zeros((state.batch, state.K))
    y = (np.concatenate([s0, mu0], axis=-1), Z)
    out, i, n = [None] * len(times), 0, 0
    obs0 = sys.observe_mean(y)
    tol = 1e-9 * dt
    while i < len(times):
        if times[i] <= n * dt + tol:
            if obs0 is None:
                obs0 = sys.observe_mean(y)
            out[i] = obs0
            i += 1
            continue
        y_next = sys.step(y, dt)
        if times[i] <= (n + 1) * dt + tol:
            obs0 = obs0 if obs0 is not None else sys.observe_mean(y)
            obs1 = sys.observe_mean(y_next)
            while i < len(times) and times[i] <= (n + 1) * dt + tol:
                th = (times[i] - n * dt) / dt
                out[i] = [o0 + th * (o1 - o0) for o0, o1 in zip(obs0, obs1)]
                i += 1
            obs0 = obs1
        else:
            obs0 = None
        y, n = y_next, n + 1
    Q, R, v, Omega, Sigma, mu, eg = (np.stack([o[j] for o in out], axis=1) for j in range(7))
    T = state.T.detach().cpu().numpy().astype(np.float64)
    meta = dict(engine="ode_mean", dt=dt, lr=model.lr, g=model.g, f=model.f, a=a, b=state.b, c=state.c,
                N=model.N, D=model.D, samples=samples, mean_term=mean_term, mu=mu)
    return Trajectory(t=np.asarray(times), Q=Q, R=R, v=v, eg=eg, T=T, Omega=Omega, Sigma=Sigma, meta=meta)
