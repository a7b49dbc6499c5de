"""Gaussian integrals of the activation g and the analytic generalisation error.

I2(C) = E[g(x0) g(x1)] for (x0, x1) ~ N(0, C) with the closed forms of Saad & Solla (1995)
for g = erf(x / sqrt 2) and of Cho & Saul (2009) for ReLU. Arrays broadcast over leading axes.
(I3 and I4, needed by the ODE, live beside these.)
"""
from __future__ import annotations

import math

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
    st = _pairwise_I2(g, R, dQ, dT)
    quad = lambda x, M, y: torch.einsum("...k,...kl,...l->...", x, M, y)
    return 0.5 * quad(v, ss, v) + 0.5 * quad(v_t, tt, v_t) - quad(v, st, v_t)
