"""Every chapter notebook runs under the quick profile; its own assertions are part of the test."""
import pytest

from lib import paths
from lib.run import execute

NOTEBOOKS = sorted(p.stem for p in paths.NOTEBOOKS.glob("*.py"))


@pytest.mark.notebook
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, tmp_path):
    executed = execute(name, "quick", out_dir=tmp_path, quiet=True)
    assert executed.exists()
