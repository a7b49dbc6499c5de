"""The ODE of the order parameters of the hidden manifold model, both layers learning
(001 Appendix B, eqs. S41-S48; Goldt et al., Phys. Rev. X 10, 041044 (2020)).

Eigen-basis (eq. S32): F F^T / N = sum_tau rho_tau psi_tau psi_tau^T / D with |psi_tau|^2 = D. With
the orthonormal eigenvectors V (D x D) the projections are Gamma = S V (K x D), B~ = W~ V (M x D), and
the ODE evolves, on each of the D eigenvalues (no binning),

    r_km,tau = Gamma_k,tau B~_m,tau   (R = b mean_tau r),   sigma_kl,tau = Gamma_k,tau Gamma_l,tau
    (Sigma = mean_tau sigma),   Omega = W W^T / N (called W in S43),   v,

with Q = (c - a^2 - b^2) Omega + b^2 Sigma. Writing w = (v, -v~) for the L = K + M local fields
z = (lambda, nu) with covariance C = [[Q, R], [R^T, T]], every three-point average of S41-S46 follows
from Stein's lemma, E[g'(z_k) y g(z_a)] = Cov(y, z_k) J1_ka + Cov(y, z_a) J2_ka with
J1 = E[g''(z_k) g(z_a)], J2 = E[g'(z_k) g'(z_a)] (this is the paper's 2x2 inversion, done once).
The covariance of the projected input with z is (sqrt N / D) (d(rho) Gamma_k, b rho B~_n),
d(rho) = (c - a^2 - b^2) D/N + b^2 rho, so with G_kj = v_k (delta_kj sum_a w_a J1_ka + w_j J2_kj):

    d Gamma_k / dt = -(lr / delta) [ d(rho) sum_{j<K} G_kj Gamma_j + b rho sum_n G_k,K+n B~_n ]        (S35)
    d r_km / dt    = -(lr / delta) [ d(rho) (G r)_km + b rho sum_n G_k,K+n t_nm ]                       (S41)
    d sigma_kl / dt = X_kl + X_lk + lr^2 v_k v_l [(c - a^2 - b^2) rho + b^2 rho^2 / delta] I4w_kl,      (S46)
        X = -(lr / delta) [ d(rho) (G sigma) + b rho (G_teacher r^T) ]
    d Omega_kl / dt = -lr [U_kl + U_lk] + c lr^2 v_k v_l I4w_kl,  U = G C[:, :K]                         (S43)
    d v_k / dt = -lr sum_a w_a I2(z_k, z_a)                                                              (S47)

where I4w_kl = sum_ab w_a w_b E[g'(z_k) g'(z_l) g(z_a) g(z_b)] and delta = D/N. The teacher term t_nm
is the per-eigenvector product B~_n,tau B~_m,tau (``teacher_source="tau"``, the exact projection of
the finite-size model) or the constant T~_nm = sum_tau rho_tau B~_n B~_m / D as in the reference
code of Goldt et al. (``"tilde"``). For a = 0 (f = sgn, erf) everything is the paper's; a != 0 only
enters through c - a^2 - b^2, consistently with :func:`lib.core.order_params.order_parameters`.

On the CPU the integrator runs its arithmetic in numpy (float64): its per-call overhead on these
tiny arrays is several times smaller than torch's. On CUDA it runs in torch, and one integration
step (Euler or RK4) is captured once in a CUDA graph and replayed.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, fields, replace
from typing import Sequence

import numpy as np
import torch

from . import validate
from .functions import ACTIVATIONS
from .integrals import NUMPY, TORCH, RELU_I4_NODES, eg_analytic, ode_integrals
from .model import Model, Weights
from .trajectory import Trajectory, record_steps

TEACHER_SOURCES = ("tau", "tilde")
_DENSE_MAX = 1 << 20   # entries of the dense operator map below which P = params @ map
METHODS = ("euler", "rk4")
# Bounds on the step, against runs that never end: the book integrates with dt = 0.01 (Euler) and 0.05 (RK4),
# where the discretisation error is already below the SGD noise; below dt = 1e-6 it would be far below the
# float64 rounding that 1e8 steps accumulate, and 1e8 steps take hours (tens of microseconds each).
DT_MIN = 1e-6
MAX_STEPS = 10**8
BACKENDS = ("auto", "numpy", "torch")


@dataclass
class ODEState:
    """State of the ODE for a batch of B initial conditions (batch axis first).

    rho (D,) or (B, D): eigenvalues of F F^T / N;  r (B, K, M, D);  sigma (B, K, K, D);
    Omega (B, K, K);  v (B, K);  T (B, M, M) = W~ W~^T / D;  T_tilde (B, M, M) = B~ diag(rho) B~^T / D;
    v_t (B, M);  t_tau (B, M, M, D) or None: the teacher products B~_n,tau B~_m,tau (if None, the
    integrator uses T_tilde for every tau). Constants: a, b, c of the folding function, delta = D/N,
    g the activation.
    """

    rho: torch.Tensor
    r: torch.Tensor
    sigma: torch.Tensor
    Omega: torch.Tensor
    v: torch.Tensor
    T: torch.Tensor
    T_tilde: torch.Tensor
    v_t: torch.Tensor
    a: float
    b: float
    c: float
    delta: float
    g: str
    t_tau: torch.Tensor | None = None

    def __post_init__(self):
        validate.choice("g", self.g, ACTIVATIONS)
        for name in ("a", "b", "c"):
            setattr(self, name, validate.real(name, getattr(self, name)))
        self.delta = validate.real("delta", self.delta, positive=True)
        if self.c - self.a ** 2 - self.b ** 2 < -1e-12:
            raise validate.ParameterError(f"a, b, c = {self.a}, {self.b}, {self.c}: need c >= a^2 + b^2")
        tensors = {f.name: getattr(self, f.name) for f in fields(self)
                   if isinstance(getattr(self, f.name), torch.Tensor)}
        for name, x in tensors.items():
            if not x.is_floating_point():
                raise validate.ParameterError(f"{name} must be a floating-point tensor")
        B, K, M, D = self.r.shape if self.r.dim() == 4 else (None,) * 4
        if B is None:
            raise validate.ParameterError(f"r must have shape (B, K, M, D), got {tuple(self.r.shape)}")
        want = {"sigma": (B, K, K, D), "Omega": (B, K, K), "v": (B, K), "T": (B, M, M),
                "T_tilde": (B, M, M), "v_t": (B, M)}
        if self.t_tau is not None:
            want["t_tau"] = (B, M, M, D)
        for name, shape in want.items():
            if tuple(tensors[name].shape) != shape:
                raise validate.ParameterError(f"{name} must have shape {shape}, got {tuple(tensors[name].shape)}")
        if tuple(self.rho.shape) not in ((D,), (B, D)):
            raise validate.ParameterError(f"rho must have shape ({D},) or ({B}, {D}), got {tuple(self.rho.shape)}")
        if len({x.device for x in tensors.values()}) > 1:
            raise validate.ParameterError("all tensors of an ODEState must be on one device")

    # -- sizes ------------------------------------------------------------------------------------
    @property
    def batch(self) -> int:
        return self.r.shape[0]

    @property
    def K(self) -> int:
        return self.r.shape[1]

    @property
    def M(self) -> int:
        return self.r.shape[2]

    @property
    def D(self) -> int:
        return self.r.shape[3]

    @property
    def N(self) -> int:
        """Input dimension implied by D and delta = D / N."""
        return int(round(self.D / self.delta))

    @property
    def device(self) -> torch.device:
        return self.r.device

    def to(self, device=None, dtype=None) -> "ODEState":
        move = lambda x: x.to(device=device, dtype=dtype) if isinstance(x, torch.Tensor) else x
        return replace(self, **{f.name: move(getattr(self, f.name)) for f in fields(self)})

    def order_parameters(self) -> dict[str, torch.Tensor]:
        """Q (B,K,K), R (B,K,M), T, Omega, Sigma of the current state (eqs. S42, S39, S44)."""
        Sigma = self.sigma.mean(dim=-1)
        Q = (self.c - self.a ** 2 - self.b ** 2) * self.Omega + self.b ** 2 * Sigma
        return {"Q": Q, "R": self.b * self.r.mean(dim=-1), "T": self.T, "Omega": self.Omega, "Sigma": Sigma}

    # -- construction from weights ----------------------------------------------------------------
    @classmethod
    def from_weights(cls, model: Model, weights: Weights, abc: tuple[float, float, float] | None = None,
                     *, teacher_source: str = "tau") -> "ODEState":
        """Project the weights (run axis first) on the eigenvectors of F F^T / N (eqs. S32-S33).

        F (1 or B, D, N), W (B, K, N), v (B, K), W~ (B, M, D), v~ (B, M). The initial Q, R, v equal
        :func:`lib.core.order_params.order_parameters` of the same weights (to roundoff). ``abc``
        overrides the constants of f; ``teacher_source`` picks the teacher term of S41 ("tau":
        B~_n,tau B~_m,tau, "tilde": T~_nm)."""
        validate.choice("teacher_source", teacher_source, TEACHER_SOURCES)
        a, b, c = model.abc if abc is None else tuple(validate.real(n, x) for n, x in zip("abc", abc))
        w = weights.to(dtype=torch.float64)
        N, D = model.N, model.D
        if w.F.shape[-2:] != (D, N) or w.W.shape[1:] != (model.K, N) or w.W_t.shape[1:] != (model.M, D):
            raise validate.ParameterError("weights do not match the model's N, D, K, M")
        rho, V = torch.linalg.eigh(w.F @ w.F.transpose(-1, -2) / N)       # (1|B, D), (1|B, D, D)
        S = w.W @ w.F.transpose(-1, -2) / math.sqrt(N)                      # (B, K, D), eq. S25
        Gam = S @ V                                                         # (B, K, D): S V, eq. S33
        Bt = w.W_t @ V                                                      # (B, M, D)
        r = Gam[:, :, None, :] * Bt[:, None, :, :]
        sigma = Gam[:, :, None, :] * Gam[:, None, :, :]
        T = w.W_t @ w.W_t.transpose(-1, -2) / D
        T_tilde = (Bt * rho[:, None, :]) @ Bt.transpose(-1, -2) / D
        t_tau = Bt[:, :, None, :] * Bt[:, None, :, :] if teacher_source == "tau" else None
        return cls(rho=rho[0] if rho.shape[0] == 1 else rho, r=r, sigma=sigma,
                   Omega=w.W @ w.W.transpose(-1, -2) / N, v=w.v.clone(), T=T, T_tilde=T_tilde,
                   v_t=w.v_t.clone(), a=a, b=b, c=c, delta=D / N, g=model.g, t_tau=t_tau)


# ------------------------------------------------------------------------------------------------
# The right-hand side, written once for numpy (CPU) and torch (CUDA) arrays
# ------------------------------------------------------------------------------------------------
def _tables(K: int, M: int, zeta: float, b: float, c0: float, c1: float, cb: float):
    """Constant index tables of the flattened right-hand side (see :class:`_System`).

    Z rows: r_km at k M + m, then sigma_kl at K M + k K + l (nz = K (M + K) rows). The columns of
    Zx = [Z ; rho Z ; rho t (M^2 rows) ; h (1 row)] (nc = 2 nz + M^2 + 1). params = [G (K x L) ; quad
    (K x K) ; 0] (the last entry is a zero). The operator P (nz x nc) of dZ = P Zx is
    P = params[i1] * k1 + params[i2] * k2 (each entry is a sum of at most two terms).
    C (L x L) = [Omega (K^2) ; v (K) ; mean_tau Z (nz)] @ Mc + [[0, 0], [0, T]].
    """
    L, nz = K + M, K * (M + K)
    nc = 2 * nz + M * M + 1
    zero = K * L + K * K                                # index of the zero parameter
    terms: dict[tuple[int, int], list[tuple[int, float]]] = {}
    add = lambda row, col, par, coef: terms.setdefault((row, col), []).append((par, coef))
    zr = lambda k, m: k * M + m                         # row of r_km in Z
    zs = lambda k, l: K * M + k * K + l                 # row of sigma_kl in Z
    G = lambda k, a: k * L + a                          # parameter G_ka
    for k in range(K):
        for m in range(M):                              # r rows (S41)
            for j in range(K):
                add(zr(k, m), zr(j, m), G(k, j), c0)
                add(zr(k, m), nz + zr(j, m), G(k, j), c1)
            for n in range(M):
                add(zr(k, m), 2 * nz + n * M + m, G(k, K + n), cb)
        for l in range(K):                              # sigma rows: X_kl + X_lk + quad_kl h (S46)
            for (p, q) in ((k, l), (l, k)):
                for j in range(K):
                    add(zs(k, l), zs(j, q), G(p, j), c0)
                    add(zs(k, l), nz + zs(j, q), G(p, j), c1)
                for n in range(M):
                    add(zs(k, l), nz + zr(q, n), G(p, K + n), cb)
            add(zs(k, l), nc - 1, K * L + k * K + l, 1.0)
    i1 = np.full(nz * nc, zero)
    i2 = np.full(nz * nc, zero)
    k1 = np.zeros(nz * nc)
    k2 = np.zeros(nz * nc)
    for (row, col), lst in terms.items():
        merged: dict[int, float] = {}
        for par, coef in lst:
            merged[par] = merged.get(par, 0.0) + coef
        (p1, q1), *rest = merged.items()
        i1[row * nc + col], k1[row * nc + col] = p1, q1
        if rest:
            (p2, q2), = rest
            i2[row * nc + col], k2[row * nc + col] = p2, q2
    dense = None
    if (zero + 1) * nz * nc <= _DENSE_MAX:                 # small: P = params @ dense in one product
        dense = np.zeros((zero + 1, nz * nc))
        cols = np.arange(nz * nc)
        np.add.at(dense, (i1, cols), k1)
        np.add.at(dense, (i2, cols), k2)
    Mc = np.zeros((K * K + K + nz, L * L))                 # rows: Omega (K^2), v (K, unused), means
    for k in range(K):
        for l in range(K):
            Mc[k * K + l, k * L + l] = zeta
            Mc[K * K + K + zs(k, l), k * L + l] = b * b
        for n in range(M):
            Mc[K * K + K + zr(k, n), k * L + K + n] = b
            Mc[K * K + K + zr(k, n), (K + n) * L + k] = b
    return dict(i1=i1, i2=i2, k1=k1, k2=k2, dense=dense, Mc=Mc, nz=nz, nc=nc)


class _System:
    """Constants of one integration and the right-hand side of S41, S43, S46, S47.

    The state is y = (s, Z): s = [Omega (K^2, row-major) | v (K)] (B, K^2 + K) and Z (B, nz, D)
    holding r (rows k M + m) and sigma (rows K M + k K + l). The D-sized part of the right-hand
    side is one product dZ = P Zx with Zx = [Z ; rho Z ; rho t ; h] (B, nc, D) and an operator
    P (B, nz, nc) assembled from the small matrices G and quad (d(rho) = zeta delta + b^2 rho is
    affine in rho), so a step costs a fixed, small number of array operations whatever D.
    """

    def __init__(self, state: ODEState, lr: float, xp, nodes: int):
        self.xp, self.g, self.nodes = xp, state.g, nodes
        B, K, M, D = state.batch, state.K, state.M, state.D
        self.K, self.M, self.L, self.lr = K, M, K + M, lr
        a, b, c, delta = state.a, state.b, state.c, state.delta
        self.b, self.c, self.zeta = b, c, c - a * a - b * b
        # -(lr/delta) d(rho) = c0 + c1 rho;  -(lr/delta) b rho = cb rho
        tab = _tables(K, M, self.zeta, b, -lr * self.zeta, -lr * b * b / delta, -lr * b / delta)
        self.nz, self.nc = tab["nz"], tab["nc"]
        dev = dict(dtype=torch.float64, device=state.device)
        arr = (lambda x: np.asarray(x, dtype=np.float64)) if xp is NUMPY else (lambda x: torch.as_tensor(x, **dev))
        idx = (lambda x: x) if xp is NUMPY else (lambda x: torch.as_tensor(x, device=state.device))
        conv = (lambda x: x.detach().cpu().numpy().astype(np.float64)) if xp is NUMPY \
            else (lambda x: x.detach().to(torch.float64))
        self.dense = None if tab["dense"] is None else arr(tab["dense"])
        self.i1, self.i2 = idx(tab["i1"]), idx(tab["i2"])
        self.k1, self.k2, self.Mc = arr(tab["k1"]), arr(tab["k2"]), arr(tab["Mc"])
        self.u = arr(np.full(D, 1.0 / D))
        rho = conv(state.rho).reshape(-1, 1, D)                                # (1|B, 1, D)
        self.rho = rho
        h = lr * lr * (self.zeta * rho + b * b * rho * rho / delta)           # O(lr^2) factor of S46
        src = state.t_tau if state.t_tau is not None else state.T_tilde[..., None].expand(B, M, M, D)
        src = conv(src.contiguous()).reshape(B, M * M, D) * rho
        self.tail = xp.concat([src, h + 0.0 * src[:, :1]], axis=1)            # (B, M^2 + 1, D)
        C0 = np.zeros((B, self.L, self.L)) if xp is NUMPY else torch.zeros(B, self.L, self.L, **dev)
        C0[:, K:, K:] = conv(state.T)
        self.C0 = C0.reshape(B, -1)
        self.mvt = -conv(state.v_t)
        self.zeros = arr(np.zeros((B, 1)))
        self.eye = arr(np.eye(K, K + M))

    def initial(self, state: ODEState):
        B, K, M, D = state.batch, self.K, self.M, state.D
        conv = (lambda x: x.detach().cpu().numpy().astype(np.float64)) if self.xp is NUMPY \
            else (lambda x: x.detach().to(torch.float64).clone())
        Z = self.xp.concat([conv(state.r).reshape(B, K * M, D), conv(state.sigma).reshape(B, K * K, D)], axis=1)
        return self.xp.concat([conv(state.Omega).reshape(B, K * K), conv(state.v)], axis=1), Z

    def observe(self, y):
        """Q, R, v, Omega, Sigma of y (new arrays)."""
        s, Z = y
        B, K, M = Z.shape[0], self.K, self.M
        m = Z @ self.u
        R, Sigma = self.b * m[:, :K * M].reshape(B, K, M), m[:, K * M:].reshape(B, K, K)
        Omega = s[:, :K * K].reshape(B, K, K) * 1.0
        return [self.zeta * Omega + self.b * self.b * Sigma, R, s[:, K * K:] * 1.0, Omega, Sigma]

    def rhs(self, y):
        """(ds/dt, dZ/dt) at y = (s, Z)."""
        xp, K, L, lr = self.xp, self.K, self.L, self.lr
        s, Z = y
        B = Z.shape[0]
        v = s[:, K * K:]                                                    # (B, K)
        C = (xp.concat([s, Z @ self.u], axis=-1) @ self.Mc + self.C0).reshape(B, L, L)
        w = xp.concat([v, self.mvt], axis=-1)                               # (B, L): (v, -v~)
        I2, J1, J2, I4w = ode_integrals(self.g, C, K, w, xp, self.nodes)    # (B,K,L) x3, (B,K,K)
        wc = w[:, :, None]
        vc = v[:, :, None]
        G = vc * (J2 * w[:, None, :] + self.eye * (J1 @ wc))                # (B, K, L)
        U = G @ C[:, :, :K]                                                 # (B, K, K)
        quad = (vc * v[:, None, :]) * I4w                                   # (B, K, K)
        dOmega = (U + U.swapaxes(1, 2)) * (-lr) + quad * (self.c * lr * lr)  # S43
        dv = (I2 @ wc) * (-lr)                                              # S47, (B, K, 1)
        params = xp.concat([G.reshape(B, K * L), quad.reshape(B, K * K), self.zeros], axis=-1)
        if self.dense is not None:
            P = (params @ self.dense).reshape(B, self.nz, self.nc)
        else:
            P = (params[:, self.i1] * self.k1 + params[:, self.i2] * self.k2).reshape(B, self.nz, self.nc)
        dZ = P @ xp.concat([Z, self.rho * Z, self.tail], axis=1)            # S41, S46
        return xp.concat([dOmega.reshape(B, K * K), dv[..., 0]], axis=-1), dZ

    def euler(self, y, dt):
        ds, dZ = self.rhs(y)
        return y[0] + dt * ds, y[1] + dt * dZ

    def rk4(self, y, dt):
        k1 = self.rhs(y)
        k2 = self.rhs(tuple(a + 0.5 * dt * k for a, k in zip(y, k1)))
        k3 = self.rhs(tuple(a + 0.5 * dt * k for a, k in zip(y, k2)))
        k4 = self.rhs(tuple(a + dt * k for a, k in zip(y, k3)))
        return tuple(a + (dt / 6.0) * (p + 2.0 * q + 2.0 * r + s) for a, p, q, r, s in zip(y, k1, k2, k3, k4))


def rhs(state: ODEState, lr: float, *, nodes: int = RELU_I4_NODES, backend: str = "torch") -> dict[str, torch.Tensor]:
    """Time derivatives of r, sigma, Omega, v at ``state`` (eqs. S41, S46, S43, S47) as torch tensors."""
    lr = validate.real("lr", lr, positive=True)
    validate.choice("backend", backend, BACKENDS)
    xp = NUMPY if backend == "numpy" or (backend == "auto" and state.device.type == "cpu") else TORCH
    sys = _System(state, lr, xp, nodes)
    ds, dZ = sys.rhs(sys.initial(state))
    back = (lambda x: torch.as_tensor(np.ascontiguousarray(x))) if xp is NUMPY else (lambda x: x)
    B, K, M, D = state.batch, state.K, state.M, state.D
    return {"r": back(dZ[:, :K * M].reshape(B, K, M, D)), "sigma": back(dZ[:, K * M:].reshape(B, K, K, D)),
            "Omega": back(ds[:, :K * K].reshape(B, K, K)), "v": back(ds[:, K * K:])}


# ------------------------------------------------------------------------------------------------
# Integration
# ------------------------------------------------------------------------------------------------
def _cuda_graph_stepper(step, y):
    """Capture y <- step(y) in a CUDA graph; returns (replay, static y) or None if capture fails."""
    try:
        static = tuple(x.clone() for x in y)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):                                              # warm-up (fills caches)
                step(static)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = step(static)
            for dst, src in zip(static, out):
                dst.copy_(src)
        return graph.replay, static
    except Exception as err:                                                # pragma: no cover (GPU)
        warnings.warn(f"CUDA graph capture failed ({err}); stepping eagerly", RuntimeWarning)
        return None


def integrate_ode(state: ODEState, lr: float, t_max: float, *, dt: float = 0.01, method: str = "euler",
                  times: Sequence[float] | None = None, points: int = 60, nodes: int = RELU_I4_NODES,
                  backend: str = "auto", cuda_graph: bool = True) -> Trajectory:
    """Integrate the ODE from ``state`` to ``t_max`` (t = steps / N) with step ``dt``.

    ``method``: "euler" (forward Euler, as the reference code) or "rk4". Output times: ``times``, or by
    default those of the SGD recorder, ``record_steps(t_max, N, points) / N`` with N = D / delta. The
    state at a requested time t is the linear interpolation between the two grid points around it
    (exact at grid points; error O(dt^2) elsewhere). Returns a Trajectory with t, Q, R, v, eg
    (analytic, eq. S48), T, Omega, Sigma; the run axis is the batch of initial conditions.
    ``backend``: "auto" (numpy on CPU, torch on CUDA), "numpy" or "torch". ``nodes``: quadrature
    nodes of the ReLU four-point integral.
    """
    if not isinstance(state, ODEState):
        raise validate.ParameterError("state must be an ODEState")
    lr = validate.real("lr", lr, positive=True)
    t_max = validate.real("t_max", t_max, positive=True)
    dt = validate.real("dt", dt, positive=True)
    if dt < DT_MIN:
        raise validate.ParameterError(f"dt={dt:g} must be >= {DT_MIN:g} (smaller steps gain no accuracy and "
                                      "would take hours)")
    if t_max / dt > MAX_STEPS:
        raise validate.ParameterError(f"dt={dt:g} with t_max={t_max:g} makes {t_max / dt:.3g} steps, more than "
                                      f"{MAX_STEPS:.0e}; use a larger dt")
    validate.choice("method", method, METHODS)
    validate.choice("backend", backend, BACKENDS)
    nodes = validate.integer("nodes", nodes, 2)
    if times is None:
        times = record_steps(t_max, state.N, validate.integer("points", points, 1)) / state.N
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)) or times.min() < 0 \
            or times.max() > t_max * (1 + 1e-12) or np.any(np.diff(times) < 0):
        raise validate.ParameterError("times must be a non-empty increasing sequence in [0, t_max]")
    on_cuda = state.device.type == "cuda"
    xp = TORCH if backend == "torch" or (backend == "auto" and on_cuda) else NUMPY
    sys = _System(state, lr, xp, nodes)
    step = sys.euler if method == "euler" else sys.rk4
    n_steps = int(math.ceil(t_max / dt - 1e-9))
    tol = 1e-9 * dt
    started = time.perf_counter()
    with torch.inference_mode():
        y = sys.initial(state)
        advance = lambda y: step(y, dt)
        graph = _cuda_graph_stepper(advance, y) if (xp is TORCH and on_cuda and cuda_graph) else None
        if graph is not None:
            replay, y = graph
            def advance(y):                                                 # noqa: E306
                replay()
                return y
        out = [None] * len(times)
        i = 0
        obs0 = sys.observe(y)
        while i < len(times) and times[i] <= tol:
            out[i] = obs0
            i += 1
        for n in range(n_steps):
            if i >= len(times):
                break
            t0, t1 = n * dt, (n + 1) * dt
            need = times[i] <= t1 + tol
            if need and obs0 is None:
                obs0 = sys.observe(y)
            y = advance(y)
            if need:
                obs1 = sys.observe(y)
                while i < len(times) and times[i] <= t1 + tol:
                    th = (times[i] - t0) / dt
                    out[i] = [o0 + th * (o1 - o0) for o0, o1 in zip(obs0, obs1)]
                    i += 1
                obs0 = obs1
            else:
                obs0 = None
        if on_cuda:
            torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    to_np = (lambda x: x) if xp is NUMPY else (lambda x: x.cpu().numpy())
    Q, R, v, Omega, Sigma = (np.stack([to_np(o[j]) for o in out], axis=1) for j in range(5))
    T = state.T.detach().cpu().numpy().astype(np.float64)
    v_t = state.v_t.detach().cpu().numpy().astype(np.float64)
    eg = eg_analytic(state.g, torch.from_numpy(Q), torch.from_numpy(R), torch.from_numpy(T)[:, None],
                     torch.from_numpy(v), torch.from_numpy(v_t)[:, None]).numpy()
    meta = dict(engine="ode", method=method, dt=dt, lr=lr, g=state.g, a=state.a, b=state.b, c=state.c,
                delta=state.delta, N=state.N, D=state.D, K=state.K, M=state.M, batch=state.batch,
                teacher_source="tau" if state.t_tau is not None else "tilde", backend=xp.name,
                device=str(state.device), cuda_graph=graph is not None, nodes=nodes, seconds=seconds)
    return Trajectory(t=np.asarray(times), Q=Q, R=R, v=v, eg=eg, T=T, Omega=Omega, Sigma=Sigma, meta=meta)
