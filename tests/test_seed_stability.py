"""scripts/seed_stability.py: seed lists, and the summary of verdicts over seeds (majority, disagreeing seeds,
stability by issue 18's criterion), on hand-made claim records (no chapter is run)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("seed_stability", ROOT / "scripts" / "seed_stability.py")
ss = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ss)


def _claim(id, passed, tested=True, on_fail="not reproduced", measured=0.0):
    return {"id": id, "section": "V.2", "statement": "s", "measured": measured, "tolerance": "t", "passed": passed,
            "paper_claim": None, "notebook": "x", "aspect": "statement", "on_fail": on_fail, "tested": tested}


def test_parse_seeds():
    assert ss.parse_seeds("1-3,7") == [1, 2, 3, 7] and ss.parse_seeds("5") == [5] and ss.parse_seeds("2,2") == [2]
    for bad in ("", "3-1"):
        with pytest.raises(SystemExit):
            ss.parse_seeds(bad)


def test_summary_counts_majority_and_disagreeing_seeds():
    runs = [{"seed": s, "wall_s": 1.0, "error": None,
             "claims": [_claim("a", True, measured=s), _claim("b", s != 3), _claim("c", False, tested=s % 2 == 0)]}
            for s in range(1, 21)]
    runs[4]["claims"] = runs[4]["claims"][:1]                       # seed 5 stopped after check a
    runs[4]["error"] = "RuntimeError: assertion"
    out = ss.summarise("x", "quick", runs)
    a, b, c = (out["checks"][k] for k in "abc")
    assert a["counts"] == {"reproduced": 20} and a["stable"] and a["measured"][7] == 7
    assert b["majority"] == "reproduced" and b["disagreeing_seeds"] == [3, 5] and not b["stable"]
    assert b["verdicts"][5] == "missing"
    assert c["counts"] == {"not reproduced": 10, "not tested": 9, "missing": 1} and not c["stable"]
    assert out["unstable"] == ["b", "c"] and out["runs"][5]["error"].startswith("RuntimeError")
    one_off = ss.summarise("x", "quick", runs[:4] + runs[5:])       # 19 seeds: one disagreeing seed is too many
    assert not one_off["checks"]["b"]["stable"]
