"""The nonlinearities of the hidden manifold model, in the paper's notation.

* Folding functions ``f`` make the student's input ``X = f(U)``, ``U = C F / sqrt(D)`` (eq. 1):
  ``sgn`` (the paper's choice), ``erf`` (meaning erf(u/sqrt 2), Goldt's convention), ``tanh``,
  ``relu`` and ``linear``.
* Activations ``g`` of teacher and student (eq. 2): ``erf`` = erf(x/sqrt 2) and ``relu``, with
  their derivatives ``g'`` used by SGD (eq. S7).
* :func:`fold_constants` gives a, b, c = E[f(u)], E[u f(u)], E[f(u)^2] under u ~ N(0, 1)
  (eq. 12 / S13) by quadrature; :data:`FOLD_CLOSED_FORMS` holds the known closed forms.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Literal

import numpy as np
import torch
from scipy import integrate, special

from . import validate

Fold = Literal["sgn", "erf", "tanh", "relu", "linear"]
Activation = Literal["erf", "relu"]
FOLDS: tuple[str, ...] = ("sgn", "erf", "tanh", "relu", "linear")
ACTIVATIONS: tuple[str, ...] = ("erf", "relu")

_SQRT2 = math.sqrt(2.0)

# --- torch versions (used by the SGD engine) ------------------------------------------------
_FOLD_TORCH: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sgn": torch.sign,
    "erf": lambda u: torch.erf(u / _SQRT2),
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda u: u,
}

_G_TORCH: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "erf": lambda x: torch.erf(x / _SQRT2),
    "relu": torch.relu,
}

_DG_TORCH: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "erf": lambda x: math.sqrt(2.0 / math.pi) * torch.exp(-0.5 * x * x),
    "relu": lambda x: (x > 0).to(x.dtype),
}

# --- numpy versions (used by quadrature and lemma checks) ------------------------------------
_FOLD_NUMPY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sgn": np.sign,
    "erf": lambda u: special.erf(u / _SQRT2),
    "tanh": np.tanh,
    "relu": lambda u: np.maximum(u, 0.0),
    "linear": lambda u: u,
}


def fold(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Torch folding function f by name."""
    return _FOLD_TORCH[validate.choice("f", name, FOLDS)]


def fold_numpy(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Numpy folding function f by name."""
    return _FOLD_NUMPY[validate.choice("f", name, FOLDS)]


def activation(name: str) -> tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]:
    """Torch activation g and its derivative g' by name."""
    validate.choice("g", name, ACTIVATIONS)
    return _G_TORCH[name], _DG_TORCH[name]


# Closed forms of (a, b, c) under u ~ N(0, 1); tanh has none.
FOLD_CLOSED_FORMS: dict[str, tuple[float, float, float]] = {
    "sgn": (0.0, math.sqrt(2.0 / math.pi), 1.0),
    "erf": (0.0, 1.0 / math.sqrt(math.pi), 1.0 / 3.0),
    "relu": (1.0 / math.sqrt(2.0 * math.pi), 0.5, 0.5),
    "linear": (0.0, 1.0, 1.0),
}


def gaussian_expectation(h: Callable[[np.ndarray], np.ndarray]) -> float:
    """E[h(u)], u ~ N(0, 1), by adaptive quadrature split at the kink u = 0."""
    density = lambda u: h(np.asarray(u, dtype=float)) * math.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)
    left, _ = integrate.quad(density, -np.inf, 0.0, epsabs=1e-13, epsrel=1e-12, limit=200)
    right, _ = integrate.quad(density, 0.0, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    return left + right


@lru_cache(maxsize=None)
def fold_constants(f: str) -> tuple[float, float, float]:
    """(a, b, c) = (E[f(u)], E[u f(u)], E[f(u)^2]) for u ~ N(0, 1) (eq. S13), by quadrature."""
    fn = fold_numpy(f)
    a = gaussian_expectation(fn)
    b = gaussian_expectation(lambda u: u * fn(u))
    c = gaussian_expectation(lambda u: fn(u) ** 2)
    return a, b, c
