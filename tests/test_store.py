"""Results stored as data, not code (lib.core.store; issue 20, item 13): the result of every cached function reads
back identical, bit for bit; what is not data is refused when stored and when read; a pickle is never read, even
one whose checksum was updated with it; and no committed result under results/ is a pickle."""
import collections
import contextlib
import dataclasses
import io
import json
import lzma
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest
import torch

from lib.core import cache, paths, store
from lib.core.model import Model
from lib.core.trajectory import Trajectory

from test_golden import cases  # noqa: E402  (tests/golden/cases.py, loaded once by test_golden)
ran: list = []                         # calls of _ran, which a malicious pickle below would make


def _ran(what):
    ran.append(what)
    return what


class _Payload:
    """An object whose pickle calls ``_ran`` when it is loaded (what a tampered pickle would do, harmlessly)."""

    def __reduce__(self):
        return _ran, ("code in a pickle",)


@contextlib.contextmanager
def pickle_disabled(monkeypatch):
    """Every pickle loader raises while the block runs."""
    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was read")

    with monkeypatch.context() as m:
        for name in ("load", "loads", "Unpickler"):
            m.setattr(pickle, name, refuse)
        yield


def _npz(structure, *arrays, raw: dict | None = None) -> bytes:
    """An .npz as a hand-made (possibly hostile) file: ``structure`` (JSON) and arrays a0, a1, ..., or ``raw``
    members (name -> bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        members = raw or {}
        if not raw:
            text = json.dumps({"format": store.FORMAT, "result": structure}).encode()
            named = [("structure", np.frombuffer(text, np.uint8)), *((f"a{i}", a) for i, a in enumerate(arrays))]
            for name, a in named:
                member = io.BytesIO()
                np.lib.format.write_array(member, a, allow_pickle=a.dtype.hasobject)
                members[f"{name}.npy"] = member.getvalue()
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("name", list(cases.CASES))
def test_every_cached_functions_result_reads_back_identical(name, monkeypatch):
    """The golden case of each cached function (its output on a tiny input): stored and read back (with pickles
    disabled), the same types throughout and every array and float bit for bit; storing it again gives the same
    bytes."""
    result = cases.CASES[name].result()
    data = store.dumps(result)
    with pickle_disabled(monkeypatch):
        back = store.loads(data)
    assert store.difference(result, back) == ""
    assert store.dumps(back) == data


NAN_PAYLOAD = struct.unpack(">d", bytes.fromhex("7ff8000000000123"))[0]
EDGES = {
    "floats": [0.0, -0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, float("inf"), float("-inf"), float("nan"),
               NAN_PAYLOAD],
    "ints": [0, -1, 2**70, True, False, None],
    "nesting": (1, (2, [3, ()]), [], {}),
    "keys": {1: "int", 2.5: "float", None: "none", ("x", "y"): "tuple", (False, 2, ("z",)): "nested tuple"},
    "bool keys": {False: "no", True: "yes"},
    "tag-like keys": {"__tuple__": 1, "__array__": [2], "__dataclass__": "lib.core.model:Model", "fields": 3},
    "scalars": [np.float32(1.5), np.float64(2.0), np.int64(-3), np.uint8(7), np.bool_(True),
                np.complex128(1 + 2j), np.str_("x"), np.float16(0.5)],
    "arrays": [np.arange(6, dtype=np.float32).reshape(2, 3), np.asfortranarray(np.ones((2, 3))),
               np.arange(10.0)[::3], np.array(3.0), np.zeros((0, 4)), np.array([True, False]),
               np.array(["ab", "c"]), np.arange(4, dtype=">i4"), np.array([np.nan, -0.0, np.inf]),
               np.array([1 + 1j], dtype=np.complex64), np.zeros(3, dtype=[("a", "<f8"), ("b", "<i2")])],
    "text": 'ünïcode \u2603 "quoted" \\ \n\t',
    "dataclasses": [Model(N=30, D=15), (Model(), Model(g="relu"))],
    "trajectory": Trajectory(t=np.arange(3.0), Q=np.ones((1, 3, 2, 2)), R=np.ones((1, 3, 2, 2)), v=np.ones((1, 3, 2)),
                             eg=np.ones((1, 3)), T=np.eye(2)[None], meta={"runs": 1, "inputs": [{"dist": "gmm"}]}),
}


def test_edge_values_read_back_identical(monkeypatch):
    """Tuples stay tuples, dict keys keep their types and order (str, int, float, bool, None, tuples), numpy
    scalars their dtype, NaN its payload, -0.0 its sign, arrays their dtype, byte order, shape and memory order;
    arrays read back can be written to, as unpickled ones could."""
    data = store.dumps(EDGES)
    with pickle_disabled(monkeypatch):
        back = store.loads(data)
    assert store.difference(EDGES, back) == ""
    assert struct.pack(">d", back["floats"][-1]).hex() == "7ff8000000000123"
    assert back["arrays"][1].flags.f_contiguous and not back["arrays"][1].flags.c_contiguous
    assert all(a.flags.writeable for a in back["arrays"])
    assert type(back["dataclasses"][1]) is tuple and back["dataclasses"][1][1] == Model(g="relu")
    assert store.dumps(back) == data == store.dumps(EDGES)


@pytest.mark.parametrize("a, b", [
    ([1.0], (1.0,)), (0.0, -0.0), (1, True), (np.float64(1.0), 1.0), (np.zeros(2), np.zeros(2, np.float32)),
    (np.zeros(2), np.zeros((2, 1))), (np.array([1.0, 2.0]), np.array([1.0, np.nextafter(2.0, 3.0)])),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}), ({1: 0}, {1.0: 0}), (float("nan"), NAN_PAYLOAD), (Model(N=3), Model(N=4)),
    ({"x": [np.arange(3)]}, {"x": [np.arange(3).astype(np.int32)]}),
])
def test_difference_sees_every_kind_of_change(a, b):
    """The comparison the round trips rely on is strict: a list is not a tuple, 1 is not True, dtypes, shapes,
    key order, key types, signs of zero and NaN payloads count."""
    assert store.difference(a, b) != "" and store.difference(a, a) == ""


# ------------------------------------------------------------------------------------------ refusals
@dataclasses.dataclass(frozen=True)
class Outside:
    """A dataclass outside lib."""

    x: int = 1


@pytest.mark.parametrize("value, what", [
    (Outside(), "Outside is not a dataclass defined at the top of a lib module"),
    ({"w": np.array([1, "a"], dtype=object)}, r"\['w'\]: an array of Python objects"),
    (np.zeros(2, dtype=[("a", "O")]), "an array of Python objects"),
    ([torch.zeros(2)], r"result\[0\]: a torch.Tensor cannot be stored"),
    ({1, 2}, "builtins.set cannot be stored"),
    (collections.OrderedDict(a=1), "OrderedDict cannot be stored"),
    (Model, "builtins.type cannot be stored"),
    ({"f": len}, "builtin_function_or_method cannot be stored"),
])
def test_what_is_not_data_is_refused_when_stored(value, what):
    with pytest.raises(store.Unstorable, match=what):
        store.dumps(value)


@pytest.mark.parametrize("name, error", [
    ("test_store:Outside", store.Refused), ("os:system", store.Refused), ("builtins:eval", store.Refused),
    ("subprocess:Popen", store.Refused), ("lib.core.cache:CorruptEntry", store.Refused),
    ("lib.core.cache:atomic_write", store.Refused), ("lib.core.model:Model.__init__", store.Refused),
    ("lib.__main__:main", store.Refused), ("lib.core.model:validate", store.Refused),
    ("lib.core.gone:Model", store.MissingClass),
])
def test_a_file_naming_a_class_that_is_not_a_dataclass_of_lib_is_refused(name, error):
    with pytest.raises(error):
        store.loads(_npz({"__dataclass__": name, "fields": {"x": 1}}))


def test_a_file_whose_dataclass_fields_changed_stops_with_the_class_name():
    with pytest.raises(store.MissingClass, match=r"lib.core.model:Model with fields \['N'\], but the class now"):
        store.loads(_npz({"__dataclass__": "lib.core.model:Model", "fields": {"N": 3}}))


@pytest.mark.parametrize("make, why", [
    (lambda: pickle.dumps({"x": _Payload()}), "looks like a pickle, which is never read"),
    (lambda: _npz({"__array__": 0}, np.array([_Payload()], dtype=object)), "pickled objects"),
    (lambda: _npz(None, raw={"structure.npy": pickle.dumps(_Payload())}), "not an .npy array"),
    (lambda: _npz({"__array__": 1}, np.zeros(2)), "names an array 1"),
    (lambda: _npz(None, raw={"structure.npy": b"\x93NUMPY junk"}), "cannot be read as an .npz"),
    (lambda: store.dumps([1.0])[:-30], "cannot be read as an .npz"),
    (lambda: _npz({"__tuple__": [1], "extra": 2}), "malformed __tuple__"),
    (lambda: _npz({"__dict__": [[[1], 2]]}), "not hashable"),
])
def test_a_file_with_a_pickle_or_not_of_this_format_is_refused_and_runs_nothing(make, why, monkeypatch):
    data = make()
    ran.clear()
    with pickle_disabled(monkeypatch), pytest.raises(store.Refused, match=why):
        store.loads(data)
    assert ran == []


@cache.cached(version=1)
def _stored_square(x: float) -> dict:
    return {"x": x, "y": np.arange(4) * x}


def test_a_cache_entry_replaced_by_a_pickle_with_its_checksum_runs_nothing_and_is_recomputed(monkeypatch, tmp_path):
    """The attack of the issue: the result file swapped for a pickle and its record's SHA-256 updated to match.
    The pickle is never read: the entry is set aside and the result computed."""
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path))
    first = _stored_square(3.0)
    digest, _ = cache.key_of(_stored_square.cache_name, {"x": 3.0}, _stored_square.version)
    folder = tmp_path / "_stored_square"
    record = json.loads((folder / f"{digest}.json").read_text())
    cache.write_entry(folder, digest, record, pickle.dumps({"x": 3.0, "y": _Payload()}))
    ran.clear()
    with pickle_disabled(monkeypatch), pytest.warns(cache.IntegrityWarning, match=f"{digest}.npz.*pickle"):
        again = _stored_square(3.0)
    assert ran == [] and store.difference(first, again) == ""
    assert (folder / f"{digest}.npz.corrupt").exists() and store.load(folder / f"{digest}.npz")["x"] == 3.0


def test_lib_reads_no_pickle():
    """No module of lib imports pickle or lets numpy read one (the one-off conversion script in scripts/ is
    the only reader of the old pickles)."""
    pattern = re.compile(r"^\s*(import pickle|from pickle|import dill|import joblib)|allow_pickle\s*=\s*True|"
                         r"torch\.load\(", re.M)
    found = [str(p.relative_to(paths.ROOT)) for p in (paths.ROOT / "lib").rglob("*.py")
             if pattern.search(p.read_text())]
    assert found == []


# ------------------------------------------------------------------------------------------ committed results
def test_committed_results_hold_no_pickle_and_load_with_pickles_disabled(monkeypatch):
    """Every file under results/ is JSON or a result stored as data (.npz, or .npz.xz in bundles and the stash):
    no .pkl/.pickle file, every .npz member readable with allow_pickle=False, and every result (its record and
    SHA-256 checked) loads with every pickle loader disabled."""
    root = paths.ROOT / "results"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert not [p for p in files if re.search(r"\.(pkl|pickle)(\.|$)", p.name)]
    kinds = collections.Counter()
    with pickle_disabled(monkeypatch):
        for p in files:
            if p.suffix == ".json":
                json.loads(p.read_text())
                kinds["json"] += 1
                continue
            assert p.name.endswith((".npz", ".npz.xz")), f"{p}: neither JSON nor a result stored as data"
            _, data = cache.check_entry(p)
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                assert all(type(z[name]) is np.ndarray for name in z.files), p
            store.loads(data)
            kinds["result"] += 1
    assert kinds["result"] >= 159 + 64 and kinds["json"] >= kinds["result"]
