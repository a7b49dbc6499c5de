"""Every chapter notebook runs under the quick profile; its own assertions are part of the test."""
import pytest

from lib.core import paths
from lib.pipeline.run import execute

REPORT = "99_report"
CHAPTERS = sorted(p.stem for p in paths.NOTEBOOKS.glob("*.py") if p.stem != REPORT)


@pytest.mark.notebook
@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_runs(name, tmp_path):
    executed = execute(name, "quick", out_dir=tmp_path, quiet=True)
    assert executed.exists()


@pytest.mark.notebook
def test_report_runs(tmp_path):
    # Chapters run in parallel workers, so their records may not exist yet: the report must not execute
    # them a second time here (tests/test_claims.py covers that path on a real notebook).
    executed = execute(REPORT, "quick", {"run_missing": False}, out_dir=tmp_path, quiet=True)
    assert executed.exists()
