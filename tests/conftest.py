import os

import pytest

# Notebook kernels inherit this: with `pytest -n 2` on 2 cores, one thread per process avoids
# oversubscription (set before torch is imported so its thread pool honours it).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402



@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Tests never read or write the user's result cache, output folder or paper bundles."""
    os.environ["HMM_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["HMM_FIGURE_DIR"] = str(tmp_path_factory.mktemp("figures"))
    os.environ["HMM_OUTPUT_DIR"] = str(tmp_path_factory.mktemp("output"))
    os.environ["HMM_BUNDLE_DIR"] = str(tmp_path_factory.mktemp("bundles"))   # committed bundles stay unseen
    os.environ["HMM_STASH_DIR"] = str(tmp_path_factory.mktemp("stash"))      # and so does the committed stash
    torch.set_num_threads(1)
    yield


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
