"""The committed stash of expensive cached results: save what took long, restore it on a fresh cache so the
computation is not repeated, never restore a result of older code."""
import json
import lzma

import numpy as np
import pytest

from lib.core import cache, paths
from lib.pipeline import stash


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    cache.reset_sources()
    yield tmp_path
    cache.reset_sources()


@cache.cached(version=1)
def _slow_square(x: float) -> dict:
    _slow_square.calls += 1
    return {"x": x, "y": np.arange(5) * x}


_slow_square.calls = 0


def _compute(*xs):
    return [_slow_square(x) for x in xs]


def _set_wall(x: float, seconds: float):
    """Pretend the cached call with argument x took ``seconds`` (its record's wall time)."""
    digest, _ = cache.key_of(_slow_square.cache_name, {"x": x}, _slow_square.version)
    rec = paths.cache_dir() / "_slow_square" / f"{digest}.json"
    data = json.loads(rec.read_text())
    data["wall_s"] = seconds
    rec.write_text(json.dumps(data))
    return digest


def test_save_keeps_only_slow_entries_compressed_and_restore_serves_them_without_computing(fresh, monkeypatch):
    _compute(1.0, 2.0)
    slow = _set_wall(1.0, 120.0)
    _set_wall(2.0, 3.0)
    added = stash.save(min_seconds=60)
    assert [e.digest for e in added] == [slow]
    packed = stash.stash_dir() / "_slow_square" / f"{slow}.npz.xz"
    original = (paths.cache_dir() / "_slow_square" / f"{slow}.npz").read_bytes()
    assert lzma.decompress(packed.read_bytes()) == original
    assert stash.save(min_seconds=60) == []                          # nothing twice

    monkeypatch.setenv("HMM_CACHE_DIR", str(fresh / "other-machine"))
    assert [e.digest for e in stash.restore()] == [slow]
    assert stash.restore() == []                                     # already there
    calls = _slow_square.calls
    assert _slow_square(1.0)["y"].tolist() == [0, 1, 2, 3, 4]
    assert _slow_square.calls == calls                              # served by the restored entry
    _slow_square(2.0)
    assert _slow_square.calls == calls + 1                          # the cheap one was not stashed


def test_a_stashed_result_of_changed_code_is_neither_restored_nor_kept(fresh, monkeypatch):
    _compute(3.0)
    _set_wall(3.0, 100.0)
    (entry,) = stash.save()
    rec = stash.stash_dir() / entry.folder / f"{entry.digest}.json"
    data = json.loads(rec.read_text())
    data["version"] = 0                                              # as if computed by other numerics
    rec.write_text(json.dumps(data))
    monkeypatch.setenv("HMM_CACHE_DIR", str(fresh / "other-machine"))
    assert stash.restore() == []
    assert [e.digest for e in stash.prune()] == [entry.digest]          # shown, not deleted
    assert [e.digest for e in stash.stashed()] == [entry.digest]
    assert [e.digest for e in stash.prune(yes=True)] == [entry.digest]
    assert stash.stashed() == []


def test_command_line(fresh, capsys):
    assert stash.main(["list"]) == 0
    assert "0 entries" in capsys.readouterr().out
    assert stash.main(["save", "--min-seconds", "-1"]) == 2
    assert "--min-seconds" in capsys.readouterr().err


def _entry(digest, created, wall_s, host="h"):
    return stash.Entry("f", digest, {"function": "x", "version": 1, "created": created, "wall_s": wall_s, "host": host})


def test_compute_time_counts_a_result_computed_inside_another_once():
    parent = _entry("a", "2026-01-01T10:10:00", 600.0)              # 10:00:00 - 10:10:00
    child1 = _entry("b", "2026-01-01T10:04:00", 240.0)              # 10:00:00 - 10:04:00, inside the parent
    child2 = _entry("c", "2026-01-01T10:09:59", 300.5)              # inside, up to the 1 s resolution
    later = _entry("d", "2026-01-01T10:20:00", 300.0)               # after the parent
    elsewhere = _entry("e", "2026-01-01T10:05:00", 60.0, host="other")
    assert stash.compute_seconds([parent, child1, child2, later, elsewhere]) == pytest.approx(600 + 300 + 60)
    assert stash.compute_seconds([child1, child2]) == pytest.approx(240 + 300.5)


def test_prune_shows_what_it_would_delete_and_deletes_only_with_yes(fresh, capsys):
    _compute(4.0, 5.0)
    _set_wall(4.0, 1800.0)
    _set_wall(5.0, 90.0)
    saved = stash.save()
    assert len(saved) == 2
    for e in saved:                                                  # as if their numerics had changed
        rec = stash.stash_dir() / e.folder / f"{e.digest}.json"
        rec.write_text(json.dumps({**json.loads(rec.read_text()), "version": 0}))
    hours = f"{stash.compute_seconds(stash.stashed()) / 3600:.2f} h of compute"
    assert hours in ("0.50 h of compute", "0.53 h of compute")      # the cheap one may lie inside the other's time
    assert stash.main(["prune"]) == 0
    out = capsys.readouterr().out
    assert out.count("would delete _slow_square/") == 2 and hours in out and "--yes" in out
    assert len(stash.stashed()) == 2                                 # nothing deleted
    assert stash.main(["prune", "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.count("deleted _slow_square/") == 2 and f"deleted 2 entries ({hours})" in out
    assert stash.stashed() == [] and list(stash.stash_dir().rglob("*.*")) == []
