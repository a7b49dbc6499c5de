"""The hidden manifold teacher-student model: its parameters and its weights.

Notation of the paper (section II): latent C in R^D, feature matrix F (D x N), student input
X = f(C F / sqrt D) in R^N, teacher W~ (M x D), v~ (M), student W (K x N), v (K), learning
rate lr (the paper's eta/gamma), activations g = g~.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from . import validate
from .functions import ACTIVATIONS, FOLDS, fold_constants


@dataclass(frozen=True)
class Model:
    """Sizes and choices of the model. Defaults are the paper's configuration (sec. III C)."""

    N: int = 1000      # student input dimension
    D: int = 500       # latent dimension
    K: int = 2         # student hidden units
    M: int = 2         # teacher hidden units
    lr: float = 0.2    # learning rate
    f: str = "sgn"     # folding function
    g: str = "erf"     # activation of teacher and student

    def __post_init__(self):
        object.__setattr__(self, "N", validate.integer("N", self.N, 1))
        object.__setattr__(self, "D", validate.integer("D", self.D, 1))
        object.__setattr__(self, "K", validate.integer("K", self.K, 1))
        object.__setattr__(self, "M", validate.integer("M", self.M, 1))
        object.__setattr__(self, "lr", validate.real("lr", self.lr, positive=True))
        validate.choice("f", self.f, FOLDS)
        validate.choice("g", self.g, ACTIVATIONS)

    @property
    def abc(self) -> tuple[float, float, float]:
        """a, b, c of the folding function f under N(0, 1) (eq. 12)."""
        return fold_constants(self.f)

    def asdict(self) -> dict:
        return asdict(self)


@dataclass
class Weights:
    """One set of weights per run, run axis first.

    F: (R, D, N) or (1, D, N) when shared; W: (R, K, N); v: (R, K);
    W_t: (R, M, D) teacher first layer W~; v_t: (R, M) teacher second layer v~.
    """

    F: torch.Tensor
    W: torch.Tensor
    v: torch.Tensor
    W_t: torch.Tensor
    v_t: torch.Tensor

    @property
    def runs(self) -> int:
        return self.W.shape[0]

    def to(self, device=None, dtype=None) -> "Weights":
        return Weights(*(x.to(device=device, dtype=dtype) for x in (self.F, self.W, self.v, self.W_t, self.v_t)))

    def clone(self) -> "Weights":
        return Weights(*(x.clone() for x in (self.F, self.W, self.v, self.W_t, self.v_t)))


def init_weights(model: Model, runs: int = 1, seed: int = 0, *, share_F: bool = True,
                 share_teacher: bool = True, share_student: bool = False,
                 dtype: torch.dtype = torch.float64, device="cpu") -> Weights:
    """Draw F, the teacher and the student, all i.i.d. N(0, 1) (Goldt's 'large' initialisation,
    both layers trained: W, v, W~, v~ ~ N(0, 1)).

    Shared pieces are drawn once and broadcast over the run axis; the draw is made on the CPU
    in float64 from ``seed`` so it does not depend on the device or on ``runs`` of the others.
    """
    runs = validate.integer("runs", runs, 1)
    seed = validate.integer("seed", seed, 0)
    gen = torch.Generator().manual_seed(seed)
    N, D, K, M = model.N, model.D, model.K, model.M

    def draw(shape, shared):
        n = 1 if shared else runs
        x = torch.randn((n, *shape), generator=gen, dtype=torch.float64)
        return x.expand(runs, *shape).clone() if shared and runs > 1 else x

    F = torch.randn((1, D, N), generator=gen, dtype=torch.float64) if share_F else draw((D, N), False)
    W_t = draw((M, D), share_teacher)
    v_t = draw((M,), share_teacher)
    W = draw((K, N), share_student)
    v = draw((K,), share_student)
    return Weights(F, W, v, W_t, v_t).to(device=device, dtype=dtype)
