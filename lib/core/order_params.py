"""Order parameters of the hidden manifold model computed from the weights (eqs. 9-15).

S = W F^T / sqrt N (K x D), Omega = W W^T / N, Sigma = S S^T / D,
Q = (c - a^2 - b^2) Omega + b^2 Sigma, R = (b / D) S W~^T, T = W~ W~^T / D.
All functions are batched: the leading axis is the run axis.
"""
from __future__ import annotations

import math

import torch

from .model import Model, Weights


def order_parameters(model: Model, w: Weights, abc: tuple[float, float, float] | None = None) -> dict[str, torch.Tensor]:
    """Q (R,K,K), R (R,K,M), T (R,M,M), Omega (R,K,K), Sigma (R,K,K) from the weights.

    ``abc`` overrides the constants a, b, c of f (the pseudo-real study corrects them).
    """
    a, b, c = model.abc if abc is None else abc
    N, D = model.N, model.D
    S = torch.matmul(w.W, w.F.transpose(-1, -2)) / math.sqrt(N)          # (R, K, D)
    Omega = w.W @ w.W.transpose(-1, -2) / N
    Sigma = S @ S.transpose(-1, -2) / D
    Q = (c - a * a - b * b) * Omega + b * b * Sigma
    R = b / D * S @ w.W_t.transpose(-1, -2)
    T = w.W_t @ w.W_t.transpose(-1, -2) / D
    return {"Q": Q, "R": R, "T": T, "Omega": Omega, "Sigma": Sigma}
