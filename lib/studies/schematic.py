"""The book's schematic figure (the paper's Fig. 1): the model and how the book compares SGD with the ODE.

Drawn with matplotlib patches in the house style (``lib.studies.style``), so the figure is code, not a committed
image. Top row: the hidden manifold model of Section II (latent C -> U = CF/sqrt(D) -> X = f(U) -> student;
C -> teacher; quadratic loss; online SGD). Bottom row: the comparison of Sections III-V (the same initial
weights feed an SGD simulation at finite N and the ODE of the limit N -> infinity; their gap per order-parameter
component is measured by the tLog-RMSE and set against the KL divergence of the latent law from the Gaussian).
"""
from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .style import PALETTE

WIDTH, HEIGHT = 100.0, 50.0   # drawing units of the canvas


@dataclasses.dataclass(frozen=True)
class Box:
    """A labelled box of the schematic in drawing units (x, y: lower-left corner)."""

    key: str
    x: float
    y: float
    w: float
    h: float
    text: str
    color: str

    def anchor(self, side: str) -> tuple[float, float]:
        """Middle of a side: 'left', 'right', 'top', 'bottom'."""
        return {"left": (self.x, self.y + self.h / 2), "right": (self.x + self.w, self.y + self.h / 2),
                "top": (self.x + self.w / 2, self.y + self.h), "bottom": (self.x + self.w / 2, self.y)}[side]


Arrow = tuple[tuple[float, float], tuple[float, float], str, float]   # start, end, 'solid'|'dashed', curvature


def layout() -> tuple[list[Box], list[Arrow]]:
    """Boxes and arrows of the schematic, in drawing units."""
    blue, orange, green, red, purple, grey = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[4], "#555555"
    boxes = [
        # the model (Section II)
        Box("C", 0, 33, 13, 10, "latent $C \\in \\mathbb{R}^D$\n$C \\sim P$", grey),
        Box("U", 17, 33, 17, 10, "$U = C F / \\sqrt{D}$\nfixed $F$, $D \\times N$", grey),
        Box("X", 38, 33, 14, 10, "input $X = f(U)$\n$X \\in \\mathbb{R}^N$", grey),
        Box("student", 55, 33, 25, 10, "student\n$\\hat y = \\sum_k v_k\\, g(\\lambda_k)$, "
                                       "$\\lambda = W X / \\sqrt{N}$", blue),
        Box("teacher", 55, 19, 25, 10, "teacher\n$y = \\sum_m \\tilde v_m\\, \\tilde g(\\nu_m)$, "
                                       "$\\nu = \\tilde W C / \\sqrt{D}$", orange),
        Box("loss", 84, 26, 15, 10, "loss\n$\\frac{1}{2}(\\hat y - y)^2$", grey),
        # the comparison (Sections III-V)
        Box("init", 0, 2, 15, 10, "same start\n$F, W, v, \\tilde W, \\tilde v$", grey),
        Box("sgd", 20, 7.5, 24, 6.5, "SGD at finite $N$\n(mean of runs)", blue),
        Box("ode", 20, 0, 24, 6.5, "ODE for $N \\to \\infty$", green),
        Box("rmse", 49, 2, 23, 10, "tLog-RMSE\nper component of $Q, R, v$", red),
        Box("kl", 77, 2, 22, 10, "against $D_{\\mathrm{KL}}(P \\,\\Vert\\, \\mathcal{N})$\n"
                                 "of raw or standardised $C$", purple),
    ]
    b = {x.key: x for x in boxes}
    arrows: list[Arrow] = [
        (b["C"].anchor("right"), b["U"].anchor("left"), "solid", 0.0),
        (b["U"].anchor("right"), b["X"].anchor("left"), "solid", 0.0),
        (b["X"].anchor("right"), b["student"].anchor("left"), "solid", 0.0),
        ((6.5, 33), (b["teacher"].x, 24), "solid", 0.25),                 # C feeds the teacher
        (b["student"].anchor("right"), (84, 33.5), "solid", 0.0),
        (b["teacher"].anchor("right"), (84, 28.5), "solid", 0.0),
        ((91.5, 36.5), (72, 43.5), "dashed", 0.45),                       # SGD updates the student
        (b["init"].anchor("right"), b["sgd"].anchor("left"), "solid", 0.0),
        (b["init"].anchor("right"), b["ode"].anchor("left"), "solid", 0.0),
        (b["sgd"].anchor("right"), b["rmse"].anchor("left"), "solid", 0.0),
        (b["ode"].anchor("right"), b["rmse"].anchor("left"), "solid", 0.0),
        (b["rmse"].anchor("right"), b["kl"].anchor("left"), "solid", 0.0),
    ]
    return boxes, arrows


def draw_schematic(ax=None):
    """Draw the schematic on ``ax`` (a new 10 x 5 inch figure if None) and return the figure.

    Each box's label is a text artist with ``gid`` equal to the box key, its patch has ``gid`` 'box:<key>'.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 5))
    fig = ax.figure
    boxes, arrows = layout()
    for b in boxes:
        ax.add_patch(FancyBboxPatch((b.x, b.y), b.w, b.h, boxstyle="round,pad=0,rounding_size=1.2",
                                    facecolor=b.color + "22", edgecolor=b.color, linewidth=1.6, gid=f"box:{b.key}"))
        ax.text(b.x + b.w / 2, b.y + b.h / 2, b.text, ha="center", va="center", fontsize=9.5, linespacing=1.5,
                gid=b.key)
    for start, end, style, rad in arrows:
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#333333", lw=1.2,
                                     ls="--" if style == "dashed" else "-", connectionstyle=f"arc3,rad={rad}",
                                     shrinkA=1, shrinkB=1))
    ax.text(0, 48, "the model (Section II)", fontsize=10.5, fontweight="bold", va="center")
    ax.text(0, 17, "the comparison (Sections III-V)", fontsize=10.5, fontweight="bold", va="center")
    ax.text(84, 47, "SGD updates $W$, $v$", fontsize=9.5, color="#333333", ha="center", va="center")
    ax.set_xlim(-1, WIDTH + 1)
    ax.set_ylim(-1.5, HEIGHT)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
