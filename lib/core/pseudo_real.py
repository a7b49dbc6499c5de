"""Pseudo-real MNIST inputs for the hidden manifold model (paper 000, sec. V.3, eqs. 25-26).

The later paper version lost its equations in extraction, so this module states its own definitions.

Targets. MNIST pixels p in [0, 1] (N = 784 per image) are mapped into the range of the folding function:
X = s (2 p - 1), s = ``pixel_scale`` < 1, so that background (p = 0) is -s and ink (p = 1) is +s.
f is smooth and odd, ``erf`` = erf(u / sqrt 2) by default (``tanh`` is the alternative): a smooth f
carries MNIST's grey levels, while sgn could only reproduce a binarised digit; erf(u/sqrt 2) is the
same function as the library's activation g = "erf" and has closed-form Gaussian constants
(a, b, c) = (0, 1/sqrt(pi), 1/3) to compare the corrected ones with. s < 1 keeps the preimage f^-1(X) finite (s = 0.9: |u| <= 1.64 for erf).

Correlation sizes (what the penalties keep weak; "size" = root mean square of the off-diagonal entries):
* rho^F (D x D): cosine similarity of the rows F_i of F (the features), random level 1/sqrt(N).
* rho^C (D x D): Pearson correlation of the coordinates C_i, C_j across the P samples: the paper's
  weak-correlation assumption E[C_i C_j] ~ 0 (i != j); random level 1/sqrt(P).
* rho^S (P x P): Pearson correlation between two samples C_mu, C_nu after removing the mean sample
  (the literal "between samples" reading); random level 1/sqrt(D), and it cannot fall below
  sqrt((P/D - 1)/(P - 1)) when P > D.

Eq. 25 (our definition), U = C F / sqrt(D), shapes C (P, D), F (D, N), U and X (P, N):
    L(C, F) = mean_{mu,r} [f(U_mu r) - X_mu r]^2 + lambda_F <(rho^F)^2> + lambda_C <(rho^C)^2> + lambda_S <(rho^S)^2>
with <.> the mean over off-diagonal entries. F is parametrised as F_i = sqrt(N) G_i / |G_i| (each row
has mean square 1, the scale of i.i.d. N(0, 1) entries demanded by the bounded assumption II.2); this
also fixes the gauge C -> alpha C, F -> F / alpha. Start: C and G i.i.d. N(0, 1) (seeded), so "before"
is the Gaussian hidden manifold model. L-BFGS (torch.optim.LBFGS, strong-Wolfe line search). With
``learn_F=False`` only C is fitted and F stays an i.i.d. N(0, 1) draw (the paper's wording); then U
spans a random D-dimensional subspace of the 784 pixels, which at D = 100 leaves mse 0.66 (the mean
image gives 0.22): a fixed F needs D close to N.

Below: the KDE of C (:func:`fit_kde`), the corrected (a, b, c) (:func:`corrected_constants`) and the
pseudo-teacher of eq. 26 (:func:`train_pseudo_teacher`, :func:`pseudo_teacher_study`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import validate
from .cache import cached
from .device import resolve
from .functions import ACTIVATIONS, activation, fold, fold_constants
from .mnist import N_PIXELS, load_mnist

PSEUDO_FOLDS = ("erf", "tanh")
BANDWIDTH_RULES = ("silverman_1d", "scott_1d", "scott", "silverman")


@dataclass(frozen=True)
class PseudoRealParams:
    """Sizes and settings of the pseudo-real fit (eq. 25) and of its KDE.

    Quick scale (defaults): P = 500 images, D = 100, 100 L-BFGS iterations (10-20 s on one core).
    Paper scale (our choice; the paper's values were lost): D = 500, N = 784, P = 10000 (all digits),
    300 iterations, a GPU job (on 2 CPU cores P = 2000, D = 500 took 150 iterations, 5 min, to mse 0.002).
    """

    P: int = 500                 # MNIST images fitted (a seeded subset of the 10,000)
    D: int = 100                 # latent dimension
    f: str = "erf"               # folding function: "erf" = erf(u/sqrt 2) or "tanh"
    pixel_scale: float = 0.9     # s: pixel p -> s (2p - 1)
    learn_F: bool = True         # fit F too (else F stays i.i.d. N(0, 1))
    lambda_F: float = 1.0        # penalty on rho^F
    lambda_C: float = 1.0        # penalty on rho^C
    lambda_S: float = 0.0        # penalty on rho^S
    iterations: int = 100        # L-BFGS iterations
    history_size: int = 20       # L-BFGS memory
    seed: int = 0                # image subset and initial C, F
    bandwidth: str | float = "silverman_1d"  # KDE rule, or a float h: bandwidth h * std per coordinate

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)
        set_("P", validate.integer("P", self.P, 2))
        if self.P > 10000:
            raise validate.ParameterError(f"P={self.P} exceeds the 10000 MNIST digits available")
        set_("D", validate.integer("D", self.D, 2))
        validate.choice("f", self.f, PSEUDO_FOLDS)
        set_("pixel_scale", validate.real("pixel_scale", self.pixel_scale, positive=True))
        if self.pixel_scale >= 1:
            raise validate.ParameterError(f"pixel_scale={self.pixel_scale} must be < 1 (f never reaches +-1)")
        if not isinstance(self.learn_F, bool):
            raise validate.ParameterError(f"learn_F={self.learn_F!r} must be True or False")
        for name in ("lambda_F", "lambda_C", "lambda_S"):
            set_(name, validate.real(name, getattr(self, name), nonnegative=True))
        set_("iterations", validate.integer("iterations", self.iterations, 1))
        set_("history_size", validate.integer("history_size", self.history_size, 1))
        set_("seed", validate.integer("seed", self.seed, 0))
        if isinstance(self.bandwidth, str):
            validate.choice("bandwidth", self.bandwidth, BANDWIDTH_RULES)
        else:
            set_("bandwidth", validate.real("bandwidth", self.bandwidth, positive=True))

    @property
    def N(self) -> int:
        return N_PIXELS


# --- correlations -----------------------------------------------------------------------------
def _cosine_gram(A: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of the rows of A (n, m) -> (n, n)."""
    A = A / A.norm(dim=1, keepdim=True).clamp_min(1e-300)
    return A @ A.T


def _offdiag_mean_square(A: torch.Tensor) -> torch.Tensor:
    """<rho_ij^2>_{i != j} for rho the cosine similarity of the rows of A (n, m), without forming the
    n x n matrix when m < n: sum_ij rho_ij^2 = |A_n A_n^T|_F^2 = |A_n^T A_n|_F^2 (rows unit length)."""
    n, m = A.shape
    if n < 2:
        return A.new_zeros(())
    An = A / A.norm(dim=1, keepdim=True).clamp_min(1e-300)
    gram = An.T @ An if m < n else An @ An.T
    return ((gram * gram).sum() - n) / (n * (n - 1))


def _offdiag_max(A: torch.Tensor, block: int = 2048) -> float:
    """max_{i != j} |rho_ij| of the rows of A (n, m), in row blocks (memory O(block n))."""
    An = A / A.norm(dim=1, keepdim=True).clamp_min(1e-300)
    best = 0.0
    for s in range(0, len(An), block):
        rho = (An[s:s + block] @ An.T).abs()
        rows = torch.arange(s, min(s + block, len(An)), device=A.device)
        rho[rows - s, rows] = 0.0
        best = max(best, rho.max().item())
    return best


def _correlated_rows(C, F=None) -> dict[str, torch.Tensor]:
    """The matrices whose row cosines are rho^F (rows of F, D x N), rho^C (coordinates of the centred C,
    D x P) and rho^S (centred samples of C, P x D)."""
    C = torch.as_tensor(C)
    Cc = C - C.mean(0)
    out = {"C": Cc.T, "S": Cc}
    if F is not None:
        out["F"] = torch.as_tensor(F)
    return out


def correlation_matrices(C, F=None) -> dict[str, torch.Tensor]:
    """rho^F (D, D) of F's rows, rho^C (D, D) of C's coordinates, rho^S (P, P) of C's centred samples."""
    return {k: _cosine_gram(A) for k, A in _correlated_rows(C, F).items()}


def correlation_sizes(C, F=None) -> dict[str, float]:
    """RMS of the off-diagonal entries of rho^F, rho^C, rho^S (keys "F", "C", "S"), and their max |.|
    (keys "F_max", ...)."""
    out = {}
    with torch.no_grad():
        for k, A in _correlated_rows(C, F).items():
            out[k] = _offdiag_mean_square(A).sqrt().item()
            out[f"{k}_max"] = _offdiag_max(A)
    return out


# --- fit (eq. 25) ----------------------------------------------------------------------------
def pixels_to_targets(pixels: np.ndarray, pixel_scale: float) -> np.ndarray:
    """X = s (2 p - 1): pixels in [0, 1] -> targets in [-s, s]."""
    return pixel_scale * (2.0 * np.asarray(pixels) - 1.0)


def targets_to_pixels(X, pixel_scale: float) -> np.ndarray:
    """Inverse map, clipped to [0, 1], for showing f(U) as an image; (..., 784) -> (..., 784)."""
    X = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    return np.clip((X / pixel_scale + 1.0) / 2.0, 0.0, 1.0)


@dataclass(eq=False)
class PseudoRealFit:
    """Result of :func:`fit_pseudo_real`. Arrays are numpy float64.

    C (P, D); F (D, N=784); digits (P,) 0..9; index (P,) rows of :func:`lib.core.mnist.load_mnist` used;
    history: per L-BFGS function evaluation, "loss" and "mse" (reconstruction error) as (evals,);
    before / after: {"mse", "F", "C", "S", "F_max", ...} at the start and the end;
    baselines: reconstruction error of predicting 0 ("zero") or the mean image ("mean").
    """

    params: PseudoRealParams
    C: np.ndarray
    F: np.ndarray
    digits: np.ndarray
    index: np.ndarray
    history: dict
    before: dict
    after: dict
    baselines: dict
    wall_s: float = 0.0

    def U(self, C=None) -> np.ndarray:
        """U = C F / sqrt(D), (n, N); the fitted C by default."""
        C = self.C if C is None else np.asarray(C, dtype=np.float64)
        return C @ self.F / math.sqrt(self.params.D)

    def X(self, C=None) -> np.ndarray:
        """Student inputs f(U), (n, N)."""
        return fold(self.params.f)(torch.from_numpy(self.U(C))).numpy()

    def images(self, C=None) -> np.ndarray:
        """f(U) shown as grey images in [0, 1], (n, 28, 28)."""
        return targets_to_pixels(self.X(C), self.params.pixel_scale).reshape(-1, 28, 28)

    def targets(self) -> np.ndarray:
        """The MNIST targets X = s (2p - 1) that were fitted, (P, N)."""
        return pixels_to_targets(load_mnist().pixels()[self.index], self.params.pixel_scale)

    def parity(self) -> np.ndarray:
        """Odd/even labels of the fitted digits: +1 odd, -1 even, (P,)."""
        return np.where(self.digits % 2 == 1, 1.0, -1.0)

    def F_weights(self, dtype=torch.float64, device=None) -> torch.Tensor:
        """F as :class:`lib.core.model.Weights` wants it: tensor (1, D, N)."""
        return torch.as_tensor(self.F, dtype=dtype, device=device).unsqueeze(0)


def _row_normalised(G: torch.Tensor) -> torch.Tensor:
    return G * math.sqrt(G.shape[1]) / G.norm(dim=1, keepdim=True)


@cached(version=1)
def fit_pseudo_real(params: PseudoRealParams) -> PseudoRealFit:
    """Fit C (P, D) and F (D, 784) by L-BFGS on the penalised loss of eq. 25 (module docstring).

    Runs on :func:`lib.core.device.default_device` (CUDA when present; ``HMM_DEVICE`` overrides) in float64;
    the initial C and F are drawn on the CPU, so the start does not depend on the device."""
    start = time.perf_counter()
    p = params
    dev = resolve(None)
    mnist, index = load_mnist().subset(p.P, p.seed)
    X = torch.as_tensor(pixels_to_targets(mnist.pixels(), p.pixel_scale), device=dev)
    gen = torch.Generator().manual_seed(p.seed)
    C = torch.randn(p.P, p.D, generator=gen, dtype=torch.float64).to(dev).requires_grad_()
    G = torch.randn(p.D, p.N, generator=gen, dtype=torch.float64).to(dev).requires_grad_(p.learn_F)
    f = fold(p.f)
    F_of = _row_normalised if p.learn_F else (lambda G: G)
    history = {"loss": [], "mse": []}

    def loss_terms():
        F = F_of(G)
        mse = (f(C @ F / math.sqrt(p.D)) - X).pow(2).mean()
        loss = mse
        Cc = C - C.mean(0)
        for lam, rows in ((p.lambda_F, F), (p.lambda_C, Cc.T), (p.lambda_S, Cc)):
            if lam > 0:  # penalties cost two Gram matrices each: skip the unused ones
                loss = loss + lam * _offdiag_mean_square(rows)
        return loss, mse

    def snapshot() -> dict:
        with torch.no_grad():
            _, mse = loss_terms()
            return {"mse": mse.item(), **correlation_sizes(C, F_of(G))}

    before = snapshot()
    opt = torch.optim.LBFGS([C, G] if p.learn_F else [C], max_iter=p.iterations, history_size=p.history_size,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss, mse = loss_terms()
        loss.backward()
        history["loss"].append(loss.item())
        history["mse"].append(mse.item())
        return loss

    opt.step(closure)
    after = snapshot()
    baselines = {"zero": X.pow(2).mean().item(), "mean": (X - X.mean(0)).pow(2).mean().item()}
    with torch.no_grad():
        F = F_of(G).cpu().numpy()
    return PseudoRealFit(p, C.detach().cpu().numpy(), F, mnist.labels.copy(), index,
                         {k: np.asarray(v) for k, v in history.items()}, before, after, baselines,
                         wall_s=time.perf_counter() - start)


# --- kernel density estimate of C --------------------------------------------------------------
def kde_bandwidth(C: np.ndarray, rule: str | float) -> np.ndarray:
    """Per-coordinate Gaussian-kernel bandwidths h (D,) from the samples C (P, D).

    "silverman_1d": h_i = 0.9 min(sd_i, IQR_i / 1.34) P^(-1/5) (Silverman's rule, each coordinate alone);
    "scott_1d": h_i = 1.06 sd_i P^(-1/5);
    "scott": h_i = sd_i P^(-1/(D+4)) (multivariate Scott, as scipy's gaussian_kde, diagonal);
    "silverman": h_i = sd_i (4 / ((D + 2) P))^(1/(D+4)) (multivariate Silverman);
    a float h: h_i = h sd_i.  sd_i is the sample standard deviation (ddof = 1).
    The 1-D rules give a narrower kernel (0.3 sd at P = 500): samples stay digit-like. The multivariate
    rules are near 0.9 sd at D = 100, so a sample is a fitted C plus noise nearly as large as C's spread.
    """
    C = np.asarray(C, dtype=np.float64)
    P, D = C.shape
    sd = C.std(axis=0, ddof=1)
    if not isinstance(rule, str):
        return validate.real("bandwidth", rule, positive=True) * sd
    validate.choice("bandwidth", rule, BANDWIDTH_RULES)
    if rule == "silverman_1d":
        q75, q25 = np.percentile(C, [75, 25], axis=0)
        return 0.9 * np.minimum(sd, (q75 - q25) / 1.34) * P ** (-0.2)
    if rule == "scott_1d":
        return 1.06 * sd * P ** (-0.2)
    if rule == "scott":
        return sd * P ** (-1.0 / (D + 4))
    return sd * (4.0 / ((D + 2) * P)) ** (1.0 / (D + 4))


@dataclass(frozen=True, eq=False)
class KDESampler:
    """Gaussian-kernel density estimate of C: p(c) = (1/P) sum_mu prod_i N(c_i; C_mu,i, h_i^2).

    centres (P, D), h (D,), labels (P,) optional (the +-1 parity of each centre). Same sampling
    contract as :class:`lib.core.inputs.InputDistribution`. Exact moments of the estimate: ``mean`` (D,) is
    the centres' mean, ``covariance`` (D, D) their covariance (1/P normalisation) plus diag(h^2).
    """

    centres: np.ndarray
    h: np.ndarray
    labels: np.ndarray | None = None
    _tensors: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def D(self) -> int:
        return self.centres.shape[1]

    @property
    def mean(self) -> np.ndarray:
        return self.centres.mean(0)

    @property
    def covariance(self) -> np.ndarray:
        return np.cov(self.centres, rowvar=False, bias=True) + np.diag(self.h**2)

    @property
    def var(self) -> np.ndarray:
        return np.diag(self.covariance).copy()

    def _on(self, device, dtype):
        key = (str(device), dtype)
        if key not in self._tensors:
            self._tensors[key] = (torch.as_tensor(self.centres, device=device, dtype=dtype),
                                  torch.as_tensor(self.h, device=device, dtype=dtype))
        return self._tensors[key]

    def sample_indexed(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32):
        """(C (n, D), parent (n,) int64): a uniformly chosen centre plus N(0, diag h^2) noise."""
        n = validate.integer("n", n, 1)
        device = torch.device(device) if device is not None else generator.device
        if device.type != generator.device.type:
            raise validate.ParameterError(f"device={device} does not match the generator's device {generator.device}")
        centres, h = self._on(device, dtype)
        parent = torch.randint(len(self.centres), (n,), generator=generator, device=device)
        noise = torch.randn((n, self.D), generator=generator, device=device, dtype=dtype)
        return centres[parent] + noise * h, parent

    def sample(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32) -> torch.Tensor:
        """Draw n latent vectors C, (n, D), on ``device`` (default: the generator's) with ``generator``."""
        return self.sample_indexed(n, generator, device, dtype)[0]

    def logpdf(self, x) -> np.ndarray:
        """Log density of the estimate at rows of x (n, D) -> (n,)."""
        from scipy.special import logsumexp

        x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
        z = (x[:, None, :] - self.centres[None]) / self.h
        log_k = -0.5 * (z**2).sum(-1) - np.log(self.h).sum() - 0.5 * self.D * math.log(2 * math.pi)
        return logsumexp(log_k, axis=1) - math.log(len(self.centres))


def fit_kde(fit: PseudoRealFit) -> KDESampler:
    """The KDE of the fitted C with the bandwidth rule of ``fit.params.bandwidth``."""
    return KDESampler(fit.C, kde_bandwidth(fit.C, fit.params.bandwidth), fit.parity())


# --- corrected constants ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FoldMoments:
    """a = E[f(u)], b = E[u f(u)], c = E[f(u)^2] (eq. S13) and the first two moments of u,
    with u an entry of U = C F / sqrt(D) (pooled over samples and pixels) instead of N(0, 1);
    ``gaussian`` holds the N(0, 1) values of (a, b, c) for comparison; n entries were averaged."""

    a: float
    b: float
    c: float
    u_mean: float
    u_var: float
    n: int
    gaussian: tuple[float, float, float]


def fold_moments(U, f: str) -> FoldMoments:
    """Monte Carlo (a, b, c) of f over the entries of U (any shape)."""
    validate.choice("f", f, PSEUDO_FOLDS)
    U = torch.as_tensor(np.asarray(U) if not isinstance(U, torch.Tensor) else U, dtype=torch.float64).reshape(-1)
    X = fold(f)(U)
    return FoldMoments(X.mean().item(), (U * X).mean().item(), (X * X).mean().item(), U.mean().item(),
                       U.var().item(), U.numel(), fold_constants(f))


@cached(version=1)
def corrected_constants(params: PseudoRealParams, source: str = "kde", n: int = 20000, seed: int = 0) -> FoldMoments:
    """(a, b, c) under the fitted U: ``source`` "fit" uses the fitted C, "kde" n samples of the KDE
    (what an SGD run on the pseudo-real data draws). With u far from zero-mean (MNIST background) the
    literal b = E[u f(u)] can break c >= a^2 + b^2, which the ODE needs; :func:`lib.studies.pseudo_real.ode_constants`
    gives the moment-matched constants the ODE can use."""
    validate.choice("source", source, ("fit", "kde"))
    fit = fit_pseudo_real(params)
    if source == "fit":
        return fold_moments(fit.U(), params.f)
    C = fit_kde(fit).sample(validate.integer("n", n, 1), torch.Generator().manual_seed(seed), dtype=torch.float64)
    return fold_moments(fit.U(C.numpy()), params.f)


# --- pseudo-teacher (eq. 26) -----------------------------------------------------------------------
@dataclass(frozen=True)
class TeacherParams:
    """Settings of the pseudo-teacher (eq. 26) and of its t-test against random teachers.

    The teacher nu = W~ C / sqrt(D), y = sum_m v~_m g(nu_m) is trained on the odd (+1) / even (-1)
    labels of a ``train_fraction`` of the fitted C (seeded split) and scored on the rest.
    """

    M: int = 2                  # teacher hidden units
    g: str = "erf"              # teacher activation
    lambda_W: float = 1.0       # penalty on the correlation of W~'s rows
    iterations: int = 100       # L-BFGS iterations
    train_fraction: float = 0.8
    n_teachers: int = 5         # pseudo-teachers (different initial weights) in the t-test
    n_random: int = 100         # random teachers in the t-test
    seed: int = 0               # train/test split, initial and random weights

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)
        set_("M", validate.integer("M", self.M, 1))
        validate.choice("g", self.g, ACTIVATIONS)
        set_("lambda_W", validate.real("lambda_W", self.lambda_W, nonnegative=True))
        set_("iterations", validate.integer("iterations", self.iterations, 1))
        set_("train_fraction", validate.real("train_fraction", self.train_fraction, positive=True))
        if self.train_fraction >= 1:
            raise validate.ParameterError(f"train_fraction={self.train_fraction} must be < 1 (no test set left)")
        set_("n_teachers", validate.integer("n_teachers", self.n_teachers, 2))
        set_("n_random", validate.integer("n_random", self.n_random, 2))
        set_("seed", validate.integer("seed", self.seed, 0))


@dataclass(eq=False)
class PseudoTeacher:
    """A trained teacher. W_t (M, D) with rows of squared norm D, v_t (M,); accuracies of sign(y) on
    the train and test split; rho_W: RMS off-diagonal cosine of W~'s rows before/after training."""

    W_t: np.ndarray
    v_t: np.ndarray
    train_accuracy: float
    test_accuracy: float
    rho_W_before: float
    rho_W_after: float
    history: np.ndarray


def activation_fn(name: str):
    """Teacher activation g by name (torch)."""
    return activation(name)[0]


def _split(P: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n_train = min(max(int(round(fraction * P)), 1), P - 1)
    perm = np.random.default_rng([seed, 1]).permutation(P)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def _teacher_output(W_raw, v, C, g) -> torch.Tensor:
    """y = sum_m v_m g(W_m . C / sqrt D), W rows renormalised to |W_m|^2 = D; C (n, D) -> (n,)."""
    D = C.shape[1]
    return g(C @ _row_normalised(W_raw).T / math.sqrt(D)) @ v


def _accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    return (torch.sign(y_hat) == y).double().mean().item()


def _initial_teacher(M: int, D: int, seed: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, index]).generate_state(1)[0]))
    return (torch.randn(M, D, generator=gen, dtype=torch.float64),
            torch.randn(M, generator=gen, dtype=torch.float64))


def _rho_W(W: torch.Tensor) -> float:
    return _offdiag_mean_square(W).sqrt().item()


@cached(version=1)
def train_pseudo_teacher(params: PseudoRealParams, teacher: TeacherParams, index: int = 0) -> PseudoTeacher:
    """Eq. 26 (our definition): minimise over W~ (rows kept at |W~_m|^2 = D) and v~

        L = (1 / 2 P_train) sum_mu (y(C_mu) - label_mu)^2 + lambda_W <(rho^W)^2>,

    rho^W the cosine similarity of W~'s rows (M x M), by L-BFGS from W~, v~ i.i.d. N(0, 1) drawn from
    (teacher.seed, index); labels +1 odd / -1 even of the fitted C (train split)."""
    index = validate.integer("index", index, 0)
    fit = fit_pseudo_real(params)
    C = torch.from_numpy(fit.C)
    y = torch.from_numpy(fit.parity())
    train, test = _split(params.P, teacher.train_fraction, teacher.seed)
    g = activation_fn(teacher.g)
    W_raw, v = _initial_teacher(teacher.M, params.D, teacher.seed, index)
    rho_before = _rho_W(W_raw)
    W_raw.requires_grad_()
    v.requires_grad_()
    opt = torch.optim.LBFGS([W_raw, v], max_iter=teacher.iterations, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-12, tolerance_change=1e-15)
    history = []

    def closure():
        opt.zero_grad()
        err = 0.5 * (_teacher_output(W_raw, v, C[train], g) - y[train]).pow(2).mean()
        loss = err + teacher.lambda_W * _offdiag_mean_square(W_raw)
        loss.backward()
        history.append(loss.item())
        return loss

    opt.step(closure)
    with torch.no_grad():
        y_hat = _teacher_output(W_raw, v, C, g)
        W = _row_normalised(W_raw)
        return PseudoTeacher(W.numpy(), v.detach().numpy().copy(), _accuracy(y_hat[train], y[train]),
                             _accuracy(y_hat[test], y[test]), rho_before, _rho_W(W), np.asarray(history))


@dataclass(eq=False)
class TeacherStudy:
    """n_teachers pseudo-teachers against n_random random teachers on the same test split.

    Welch's t-test (scipy.stats.ttest_ind, equal_var=False, alternative="greater") of the pseudo
    teachers' test accuracies against the random teachers' (W~, v~ i.i.d. N(0, 1), rows of W~ at
    |W~_m|^2 = D, untrained): ``t``, ``p_value``."""

    teachers: list
    random_accuracies: np.ndarray
    t: float
    p_value: float

    @property
    def accuracies(self) -> np.ndarray:
        return np.array([tt.test_accuracy for tt in self.teachers])


@cached(version=1)
def pseudo_teacher_study(params: PseudoRealParams, teacher: TeacherParams) -> TeacherStudy:
    """Train ``teacher.n_teachers`` pseudo-teachers and t-test their accuracy against random ones."""
    from scipy import stats

    teachers = [train_pseudo_teacher(params, teacher, i) for i in range(teacher.n_teachers)]
    fit = fit_pseudo_real(params)
    _, test = _split(params.P, teacher.train_fraction, teacher.seed)
    C, y = torch.from_numpy(fit.C[test]), torch.from_numpy(fit.parity()[test])
    g = activation_fn(teacher.g)
    random_acc = np.array([_accuracy(_teacher_output(*_initial_teacher(teacher.M, params.D, teacher.seed,
                                                                        10**6 + i), C, g), y)
                           for i in range(teacher.n_random)])
    acc = np.array([tt.test_accuracy for tt in teachers])
    res = stats.ttest_ind(acc, random_acc, equal_var=False, alternative="greater")
    return TeacherStudy(teachers, random_acc, float(res.statistic), float(res.pvalue))


# --- weights for an SGD run ------------------------------------------------------------------------
def pseudo_real_model(params: PseudoRealParams, teacher: TeacherParams, K: int = 2, lr: float = 0.2):
    """The :class:`lib.core.model.Model` of the pseudo-real study: N = 784, D, K, M, lr, f, g = g~."""
    from .model import Model

    return Model(N=params.N, D=params.D, K=K, M=teacher.M, lr=lr, f=params.f, g=teacher.g)


def pseudo_real_weights(fit: PseudoRealFit, teacher: PseudoTeacher, K: int = 2, runs: int = 1, seed: int = 0,
                        dtype=torch.float64, device="cpu", share_student: bool = False):
    """:class:`lib.core.model.Weights` for SGD on pseudo-real data: the fitted F (1, D, N), the pseudo-teacher
    W_t (runs, M, D) and v_t (runs, M) shared by all runs, the student W (runs, K, N), v (runs, K) drawn
    i.i.d. N(0, 1) by :func:`lib.core.model.init_weights` from ``seed`` (one student for all runs when
    ``share_student``, as :mod:`lib.measures.compare` does)."""
    from .model import Model, Weights, init_weights

    M = teacher.W_t.shape[0]
    model = Model(N=fit.params.N, D=fit.params.D, K=K, M=M, f=fit.params.f)
    w = init_weights(model, runs=runs, seed=seed, dtype=torch.float64, share_student=share_student)
    W_t = torch.from_numpy(teacher.W_t).expand(w.runs, -1, -1).clone()
    v_t = torch.from_numpy(teacher.v_t).expand(w.runs, -1).clone()
    return Weights(fit.F_weights(), w.W, w.v, W_t, v_t).to(device=device, dtype=dtype)
