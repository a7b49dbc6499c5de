"""Results you can trust: checksummed bundles and stash entries, atomic writes, corrupt files detected and
recomputed, a full disk and concurrent writers handled, and a computation killed at random points that resumes
to the same bytes (issue 20, items 1-6 and 9)."""
import errno
import json
import lzma
import os
import shutil
import time
import warnings

import numpy as np
import pytest

from lib.core import cache, paths, store
from lib.pipeline import bundle, profiles, stash

STEM = "02_hidden_manifold"
PROFILE = {"samples": 7}                       # a stand-in paper profile for the test chapter


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty cache, bundle folder and stash; the test chapter's paper profile; no read-only sources."""
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_BUNDLE_DIR", str(tmp_path / "bundles"))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    monkeypatch.delenv("HMM_NO_CACHE", raising=False)
    monkeypatch.setitem(profiles.PROFILES["paper"], STEM, dict(PROFILE))
    cache.reset_sources()
    yield tmp_path
    cache.reset_sources()


calls: list = []


@cache.cached(version=1)
def _piece(i: int) -> dict:
    """A small deterministic result (numpy only, so that it runs in a forked child)."""
    calls.append(i)
    return {"i": i, "y": np.sin(np.arange(200) * (i + 1.0)), "label": f"piece {i}"}


@cache.cached(version=1)
def _total(n: int) -> dict:
    parts = [_piece(i) for i in range(n)]
    return {"n": n, "sum": np.sum([p["y"] for p in parts], axis=0)}


def _entry_path(func, *args) -> "os.PathLike":
    digest, _ = cache.key_of(func.cache_name, dict(zip(("i",) if func is _piece else ("n",), args)), func.version)
    return paths.cache_dir() / func.__name__ / f"{digest}.npz"


def _leftovers(root):
    """Temporary or set-aside files and folders anywhere under ``root``."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.endswith(".tmp") or p.name.endswith(".corrupt"))


def _make_bundle(root, n=2):
    root.mkdir(parents=True, exist_ok=True)
    trace = root / "trace.txt"
    trace.unlink(missing_ok=True)
    os.environ["HMM_CACHE_TRACE"] = str(trace)
    try:
        result = _total(n)
    finally:
        del os.environ["HMM_CACHE_TRACE"]
    return bundle.write(STEM, trace, wall_s=1.0), result


# ----------------------------------------------------------------------------------- 1. bundle checksums
def test_bundle_records_the_sha256_of_every_file_and_its_libraries(fresh):
    prov_path, _ = _make_bundle(fresh)
    prov = json.loads(prov_path.read_text())
    folder = prov_path.parent
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "provenance.json")
    assert sorted(prov["files"]) == files and len(files) == 2          # the entry's result (.npz.xz) and record
    assert all(cache.file_sha256(folder / f) == h for f, h in prov["files"].items())
    assert set(prov["libraries"]) >= {"python", "numpy", "torch"} and prov["compute_device"] in ("cpu", "cuda", "cuda:0")
    assert prov["device"] and "uncommitted_changes" in prov
    assert bundle.status(STEM)[0]


def test_a_bundle_file_altered_by_one_byte_is_named_and_the_chapter_computes(fresh):
    prov_path, _ = _make_bundle(fresh)
    result = next(prov_path.parent.glob("cache/*/*.npz.xz"))
    data = bytearray(result.read_bytes())
    data[len(data) // 2] ^= 0x01                                       # one bit of one number
    result.write_bytes(bytes(data))
    rel = str(result.relative_to(prov_path.parent))
    with pytest.warns(cache.IntegrityWarning, match=rel):
        current, reason, _ = bundle.status(STEM)
    assert not current and rel in reason and "SHA-256" in reason
    with pytest.warns(cache.IntegrityWarning):
        shown = bundle.choose(STEM, "auto")
    assert shown.profile == "own" and rel in shown.note_html()
    assert cache._sources == []                                        # nothing is read from it


def test_a_bundle_with_a_missing_or_unlisted_file_is_not_current(fresh):
    prov_path, _ = _make_bundle(fresh)
    extra = prov_path.parent / "cache" / "_piece" / "stray.npz.xz"
    extra.parent.mkdir(parents=True)
    extra.write_bytes(b"x")
    with pytest.warns(cache.IntegrityWarning):
        assert "not listed" in bundle.status(STEM)[1]
    extra.unlink()
    record = next(prov_path.parent.glob("cache/*/*.json"))
    record.unlink()
    with pytest.warns(cache.IntegrityWarning):
        assert "missing" in bundle.status(STEM)[1]
    prov = json.loads(prov_path.read_text())
    del prov["files"]
    prov_path.write_text(json.dumps(prov))
    with pytest.warns(cache.IntegrityWarning):
        assert "no checksums" in bundle.status(STEM)[1]


def test_committed_results_are_checksummed():
    """Every committed bundle lists each of its files with its SHA-256, and every committed record (bundle and
    stash) is its key's and holds the SHA-256 of its decompressed result. That every committed result loads
    (with pickles disabled) is tests/test_store.py's."""
    root = paths.ROOT / "results"
    bundles = sorted((root / "paper").glob("*/provenance.json"))
    assert len(bundles) >= 4
    for prov_path in bundles:
        prov = json.loads(prov_path.read_text())
        assert bundle.integrity_problem(prov_path.parent, prov) == "", prov_path
    records = sorted((root / "stash").glob("*/*.json")) + sorted((root / "paper").glob("*/cache/*/*.json"))
    assert len(records) >= 64 + 159
    for rec in records:
        record = json.loads(rec.read_text())
        data = lzma.decompress(rec.with_name(f"{rec.stem}{cache.PACKED_SUFFIX}").read_bytes())
        assert cache.sha256(data) == record["sha256"] and cache.record_matches(record, rec.stem), rec


# ----------------------------------------------------------------------------------- 2. bundle swap
@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space left on device")])
def test_an_interrupted_bundle_write_leaves_the_old_bundle(fresh, monkeypatch, failure):
    prov_path, _ = _make_bundle(fresh, n=2)
    before = {p: p.read_bytes() for p in prov_path.parent.rglob("*") if p.is_file()}
    _total(3)                                                          # computed: only the bundle is written
    real, seen = cache.atomic_write, []

    def failing(path, data):
        seen.append(path)
        if len(seen) == 2:                                             # the new bundle's second file
            raise failure
        return real(path, data)

    monkeypatch.setattr(cache, "atomic_write", failing)
    with pytest.raises(failure if isinstance(failure, type) else type(failure)):
        _make_bundle(fresh, n=3)
    monkeypatch.setattr(cache, "atomic_write", real)
    assert len(seen) == 2 and str(seen[0]).startswith(str(bundle.bundle_root() / f".{STEM}."))
    after = {p: p.read_bytes() for p in prov_path.parent.rglob("*") if p.is_file()}
    assert after == before and bundle.status(STEM)[0]
    assert sorted(p.name for p in bundle.bundle_root().iterdir()) == [STEM]   # no half-built folder left
    _make_bundle(fresh, n=3)                                           # and the next write replaces it
    assert len(json.loads(prov_path.read_text())["entries"]) == 1 and bundle.status(STEM)[0]
    assert json.loads(next(prov_path.parent.glob("cache/*/*.json")).read_text())["params"] == {"n": 3}
    assert _leftovers(fresh) == []


# ----------------------------------------------------------------------------------- 3. stash
def _stash_three(fresh):
    for i in range(3):
        _piece(i)
    added = stash.save(min_seconds=0)
    assert len(added) == 3 and all(len(e.record["sha256"]) == 64 for e in added)
    return {e.record["params"]["i"]: e for e in added}


@pytest.mark.parametrize("damage", ["truncate", "flip", "other content"])
def test_a_corrupt_stash_entry_is_skipped_with_its_name_and_the_others_restored(fresh, monkeypatch, damage, capsys):
    entries = _stash_three(fresh)
    packed = stash.stash_dir() / "_piece" / f"{entries[1].digest}.npz.xz"
    data = packed.read_bytes()
    if damage == "truncate":
        packed.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        packed.write_bytes(data[:40] + bytes([data[40] ^ 0x10]) + data[41:])
    else:                                                              # a valid xz of other bytes
        packed.write_bytes(lzma.compress(store.dumps({"i": 1, "y": np.zeros(200)})))
    monkeypatch.setenv("HMM_CACHE_DIR", str(fresh / "other-machine"))
    with pytest.warns(cache.IntegrityWarning, match=f"stash entry .*{entries[1].digest}.npz.xz"):
        restored = stash.restore()
    assert sorted(e.record["params"]["i"] for e in restored) == [0, 2]
    assert _leftovers(fresh) == []
    n = len(calls)
    assert _piece(0)["label"] == "piece 0" and _piece(2)["i"] == 2 and len(calls) == n   # restored, not computed
    assert _piece(1)["i"] == 1 and len(calls) == n + 1                                   # the corrupt one is
    assert stash.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [("CORRUPT" in line) for line in lines[:3]] == [e.digest == entries[1].digest
                                                           for e in sorted(entries.values(), key=lambda e: e.digest)]


def test_a_stash_entry_interrupted_before_its_record_is_saved_again(fresh):
    entries = _stash_three(fresh)
    (stash.stash_dir() / "_piece" / f"{entries[0].digest}.json").unlink()          # killed between the two files
    assert [e.digest for e in stash.save(min_seconds=0)] == [entries[0].digest]


# ----------------------------------------------------------------------------------- 4. cache entries
@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "flip", "truncate, no checksum"])
def test_a_corrupt_cache_entry_is_named_moved_aside_and_recomputed(fresh, damage):
    first = _piece(5)
    result = _entry_path(_piece, 5)
    data = result.read_bytes()
    if damage == "flip":                                               # one bit of one number of the array
        at = data.index(first["y"].tobytes()) + 800
        data = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
        assert first["y"].tobytes() not in data
        with pytest.raises(store.Refused, match="CRC"):                 # the zip's CRC also tells; the SHA-256 first
            store.loads(data)
    if damage == "truncate, no checksum":                              # a record made before checksums were kept
        record = json.loads(result.with_suffix(".json").read_text())
        del record["sha256"]
        result.with_suffix(".json").write_text(json.dumps(record))
    result.write_bytes({"garbage": os.urandom(len(data)), "empty": b"", "flip": data}.get(damage, data[: len(data) // 3]))
    n = len(calls)
    expected = "cannot be read as data" if "no" in damage else "SHA-256"
    with pytest.warns(cache.IntegrityWarning, match=f"{result}.*({expected})"):
        again = _piece(5)
    assert len(calls) == n + 1 and np.array_equal(again["y"], first["y"])
    assert result.with_name(result.name + ".corrupt").exists()        # kept aside for inspection
    assert _piece(5)["i"] == 5 and len(calls) == n + 1                 # the recomputed entry is good


def test_a_result_of_other_parameters_under_a_key_is_not_used(fresh):
    _piece(1), _piece(2)
    one, two = _entry_path(_piece, 1), _entry_path(_piece, 2)
    shutil.copy(one, two)                                              # the result only: its record says i = 2
    n = len(calls)
    with pytest.warns(cache.IntegrityWarning, match="SHA-256"):
        assert _piece(2)["i"] == 2
    for suffix in (".npz", ".json"):                                   # result and record: the key says i = 2
        shutil.copy(one.with_suffix(suffix), two.with_suffix(suffix))
    with pytest.warns(cache.IntegrityWarning, match="not its key's"):
        assert _piece(2)["i"] == 2
    two.with_suffix(".json").unlink()                                  # no record at all
    with pytest.warns(cache.IntegrityWarning, match="no JSON record"):
        assert _piece(2)["i"] == 2
    assert len(calls) == n + 3


def test_an_intact_result_of_a_class_that_is_gone_stops_with_its_name(fresh, monkeypatch):
    """A class that the code no longer defines is a code problem, not a corrupt file: the entry is left in
    place and the error says where to declare the class's new module."""
    from lib.core.model import Model

    _piece(3)
    result = _entry_path(_piece, 3)
    with monkeypatch.context() as m:                                   # stored as if Model lived there
        m.setattr(Model, "__module__", "lib.core.gone_")
        m.setattr(store, "_find_class", lambda module, qualname: Model)
        payload = store.dumps({"model": Model(N=10, D=5)})
    assert b"lib.core.gone_:Model" in payload
    record = json.loads(result.with_suffix(".json").read_text())
    cache.write_entry(result.parent, result.name[:-4], record, payload)
    with pytest.raises(cache.MissingClass, match=f"{result}.*gone_.*RENAMED_MODULES"):
        _piece(3)
    assert result.exists()


# ----------------------------------------------------------------------------------- 5. concurrent writers
def test_writers_never_share_a_temporary_file(fresh, monkeypatch):
    """Writer B writes the same entry while writer A is between writing its temporary file and renaming it
    (same process, so the same pid; the folder lock is lifted to force the interleaving): A's temporary file
    survives, both renames succeed, nothing is left behind, and the entry read afterwards is consistent."""
    a, b = cache.temporary_name(fresh / "x.npz"), cache.temporary_name(fresh / "x.npz")
    assert a != b and f".{os.getpid()}." in a.name
    monkeypatch.setattr(cache, "folder_lock", lambda folder, exclusive=True: __import__("contextlib").nullcontext())
    folder = paths.cache_dir() / "_piece"
    digest, record = cache.key_of(_piece.cache_name, {"i": 9}, _piece.version)
    real_replace, interleaved = os.replace, []

    def replace(src, dst):
        if str(dst).endswith(".npz") and not interleaved:               # A is about to publish its result
            interleaved.append(src)
            assert os.path.exists(src)
            cache.write_entry(folder, digest, record, store.dumps(_piece.__wrapped__(9)))    # writer B, whole
            assert os.path.exists(src)                                   # B did not take A's temporary file
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    cache.write_entry(folder, digest, record, store.dumps(_piece.__wrapped__(9)))          # writer A
    monkeypatch.setattr(os, "replace", real_replace)
    assert interleaved and _leftovers(fresh) == []
    rec, payload = cache.check_entry(folder / f"{digest}.npz")         # equal results: a consistent pair
    assert store.loads(payload)["i"] == 9


def test_two_processes_writing_one_entry_leave_one_consistent_pair(fresh):
    """Process A (forked) publishes its record and then pauses before its result; process B writes the same
    entry with different bytes meanwhile. The folder lock makes B wait, so the entry ends as B's record with
    B's result, never one writer's record beside the other's result."""
    folder = paths.cache_dir() / "_piece"
    folder.mkdir(parents=True)
    digest, record = cache.key_of(_piece.cache_name, {"i": 4}, _piece.version)
    paused = fresh / "paused"
    pid = os.fork()
    if pid == 0:                                                       # writer A
        code = 1
        try:
            real_replace = os.replace

            def replace(src, dst):
                real_replace(src, dst)
                if str(dst).endswith(".json"):
                    paused.touch()
                    time.sleep(1.0)

            os.replace = replace
            cache.write_entry(folder, digest, {**record, "writer": "A"}, store.dumps({"writer": "A"}))
            code = 0
        finally:
            os._exit(code)
    deadline = time.time() + 30
    while not paused.exists() and time.time() < deadline:
        time.sleep(0.01)
    assert paused.exists()
    cache.write_entry(folder, digest, {**record, "writer": "B"}, store.dumps({"writer": "B", "more": 1}))
    assert os.waitpid(pid, 0)[1] == 0
    rec, payload = cache.check_entry(folder / f"{digest}.npz")         # raises if the pair were mixed
    assert rec["writer"] == store.loads(payload)["writer"] == "B"
    assert _leftovers(fresh) == []


# ----------------------------------------------------------------------------------- 6. full disk
class _FullDisk:
    """``open`` for lib.core.cache whose files take half the bytes written, then fail with ENOSPC."""

    def __init__(self):
        self.failed = []

    def __call__(self, path, mode="r", *args, **kwargs):
        fh = open(path, mode, *args, **kwargs)
        if "w" not in mode and "x" not in mode:
            return fh
        failed = self.failed

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()

            def write(self, data):
                fh.write(data[: len(data) // 2])
                fh.flush()
                failed.append(path)
                raise OSError(errno.ENOSPC, "No space left on device", str(path))

            def __getattr__(self, name):
                return getattr(fh, name)

        return Full()


def test_a_full_disk_keeps_the_result_warns_and_leaves_no_temporary_file(fresh, monkeypatch):
    full = _FullDisk()
    monkeypatch.setattr(cache, "open", full, raising=False)
    n = len(calls)
    with pytest.warns(cache.IntegrityWarning, match=r"_piece/.*\.npz could not be written .*No space left"):
        result = _piece(6)
    assert result["i"] == 6 and len(calls) == n + 1 and full.failed
    assert not (paths.cache_dir() / "_piece").exists() or list((paths.cache_dir() / "_piece").iterdir()) == []
    monkeypatch.setattr(cache, "open", open, raising=False)
    assert _piece(6)["i"] == 6 and len(calls) == n + 2                  # nothing half-written was read


def test_a_full_disk_during_restore_skips_that_entry(fresh, monkeypatch):
    _stash_three(fresh)
    monkeypatch.setenv("HMM_CACHE_DIR", str(fresh / "other-machine"))
    monkeypatch.setattr(cache, "open", _FullDisk(), raising=False)
    with pytest.warns(cache.IntegrityWarning, match="could not be restored"):
        assert stash.restore() == []
    monkeypatch.setattr(cache, "open", open, raising=False)
    assert _leftovers(fresh) == [] and len(stash.restore()) == 3


# ----------------------------------------------------------------------------------- 9. HMM_NO_CACHE
@pytest.mark.parametrize("value, reads", [("1", False), ("0", True), ("", True)])
def test_no_cache_1_bypasses_reads_and_writes(fresh, monkeypatch, value, reads):
    _piece(7)
    monkeypatch.setenv("HMM_CACHE_DIR", str(fresh / "second"))
    _piece(7)                                                          # the entry in the second cache
    monkeypatch.setenv("HMM_NO_CACHE", value)
    n = len(calls)
    _piece(7), _piece(8)
    assert len(calls) == n + (1 if reads else 2)
    written = sorted(p.name for p in (fresh / "second" / "_piece").glob("*.npz"))
    assert len(written) == (2 if reads else 1)


@pytest.mark.parametrize("value", ["false", "true", "yes", "2", " 1"])
def test_no_cache_refuses_other_values(fresh, monkeypatch, value):
    monkeypatch.setenv("HMM_NO_CACHE", value)
    with pytest.raises(cache.ParameterError, match="HMM_NO_CACHE"):
        _piece(0)


# ----------------------------------------------------------------------------------- fault injection
def _chapter(root):
    """A small chapter: cached results (nested calls), bundled (twice: the second bundle replaces the first),
    stashed. Everything it makes is on disk."""
    _piece(7)
    _make_bundle(root, n=2)
    _make_bundle(root, n=3)                                            # replaces the first bundle
    stash.save(min_seconds=0)


def _snapshot(root):
    """The bytes of every result: cache results, decompressed stash results, bundle results (compressed), and the
    recorded SHA-256 of each (the records' other fields, such as times, differ between runs)."""
    out = {}
    for p in (root / "cache").rglob("*.npz"):
        out[f"cache/{p.relative_to(root / 'cache')}"] = p.read_bytes()
        out[f"cache-sha/{p.name}"] = json.loads(p.with_suffix(".json").read_text())["sha256"]
    for p in (root / "stash").rglob("*.npz.xz"):
        out[f"stash/{p.name}"] = lzma.decompress(p.read_bytes())
        out[f"stash-sha/{p.name}"] = json.loads(p.with_name(p.name[:-7] + ".json").read_text())["sha256"]
    for p in (root / "bundles").rglob("*.npz.xz"):
        out[f"bundle/{p.name}"] = p.read_bytes()
    prov = json.loads((root / "bundles" / STEM / "provenance.json").read_text())
    out["bundle-files"] = {k: v for k, v in prov["files"].items() if k.endswith(".npz.xz")}
    return out


def _use(monkeypatch, root):
    for name, sub in (("HMM_CACHE_DIR", "cache"), ("HMM_BUNDLE_DIR", "bundles"), ("HMM_STASH_DIR", "stash")):
        monkeypatch.setenv(name, str(root / sub))


OPS = ("replace", "fsync", "rename")


def test_killed_at_random_points_the_rerun_gives_the_same_bytes(fresh, monkeypatch):
    """The chapter is killed (os._exit in a forked process) just before or just after the k-th file operation
    (os.replace, os.fsync, os.rename), for 24 seeded k, then run again: every result equals an uninterrupted
    run's bit for bit, the bundle is current, and no temporary or set-aside file is left."""
    reference = fresh / "reference"
    _use(monkeypatch, reference)
    counted = []
    real = {op: getattr(os, op) for op in OPS}
    for op in OPS:
        monkeypatch.setattr(os, op, lambda *a, op=op: (counted.append(op), real[op](*a))[1])
    _chapter(reference)
    for op in OPS:
        monkeypatch.setattr(os, op, real[op])
    expected, total = _snapshot(reference), len(counted)
    assert total > 30 and len(expected) > 10

    rng = np.random.default_rng(20)
    points = [(int(k), str(when)) for k, when in zip(rng.integers(1, total + 1, 24), rng.choice(["before", "after"], 24))]
    for trial, (k, when) in enumerate(points):
        root = fresh / f"trial{trial}"
        _use(monkeypatch, root)
        pid = os.fork()
        if pid == 0:                                                   # the run that is killed
            try:
                seen = [0]

                def hooked(*a, op):
                    seen[0] += 1
                    if seen[0] == k and when == "before":
                        os._exit(9)
                    out = real[op](*a)
                    if seen[0] == k:
                        os._exit(9)
                    return out

                for op in OPS:
                    setattr(os, op, lambda *a, op=op: hooked(*a, op=op))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _chapter(root)
            finally:
                os._exit(0)
        status = os.waitpid(pid, 0)[1]
        assert os.waitstatus_to_exitcode(status) == 9, (k, when)
        _chapter(root)                                                 # the rerun
        got = _snapshot(root)
        assert got.keys() == expected.keys(), (k, when)
        assert all(got[key] == expected[key] for key in expected), (k, when)
        assert bundle.status(STEM)[0], (k, when)
        assert _leftovers(root) == [], (k, when)
