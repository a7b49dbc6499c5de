"""Results stored as data, not code: numpy arrays in an ``.npz`` file, everything else in JSON inside it.

A cached result (:mod:`lib.core.cache`), a paper bundle's entry and a stash entry is one ``.npz`` file (a zip of
``.npy`` members, as ``numpy.savez`` writes): every array of the result is a member ``a0.npy``, ``a1.npy``, ...,
and the rest of the result, its *structure*, is JSON held in the member ``structure.npy`` (its UTF-8 bytes as
a ``uint8`` array). Reading it runs no code of the file's: members are read with ``allow_pickle=False`` (an
object array is refused), and a class is rebuilt only if it is a dataclass defined in a ``lib.`` module. A
pickle, which can run any code when it is loaded, is never read or written.

The structure, for a result made of:

- ``None``, ``bool``, ``int``, ``str`` and finite ``float``: themselves (JSON numbers round-trip a float exactly);
  a non-finite float: ``{"__float__": "<its 8 bytes in hex>"}`` (NaN payloads kept);
- ``list``: a JSON list; ``tuple``: ``{"__tuple__": [...]}``;
- ``dict``: a JSON object when every key is a ``str`` not starting with ``"__"``; otherwise
  ``{"__dict__": [[key, value], ...]}``, keys encoded like values (bool, int, float, None, tuples of these);
  insertion order kept;
- a numpy array: ``{"__array__": i}`` (member ``a<i>.npy``: dtype, shape and memory order kept bit for bit);
  a numpy scalar: ``{"__scalar__": i}`` (a 0-d array, read back as the scalar of its dtype);
- a dataclass instance: ``{"__dataclass__": "module:QualName", "fields": {name: value, ...}}``, every field
  (``init=False`` ones too), rebuilt without calling ``__init__`` (as a pickle is: a result is restored as it
  was, not re-validated); a class whose fields are no longer those stored stops with :class:`MissingClass`.

An object held in two places of a result is stored twice (a pickle stores it once): the Section IV engine
batches repeat their list of runs in every outcome, which the xz compression of the stash takes out again.

Anything else (a torch tensor, a set, a subclass of list/dict/tuple, a class outside ``lib``, an object array)
is refused when stored (:class:`Unstorable`, naming where in the result it is), so what cannot be read back is
never written. The file is byte-reproducible: members in a fixed order, fixed timestamps, no compression (bundles
and the stash keep the whole file xz-compressed, :func:`lib.core.cache.pack`), so equal results make equal files
and equal SHA-256s.

    data = store.dumps(result)          # bytes of the .npz
    result = store.loads(data)
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import json
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

SUFFIX = ".npz"
STRUCTURE = "structure"                 # the member holding the JSON structure
FORMAT = 1                              # version of this layout, in the structure
_TAGS = ("__float__", "__tuple__", "__dict__", "__array__", "__scalar__", "__dataclass__")
_DATE = (1980, 1, 1, 0, 0, 0)           # a fixed member timestamp: equal results, equal bytes
_ZIP = b"PK\x03\x04"                    # how a zip file (an .npz) begins
_NAME = r"(?!__)[A-Za-z_][A-Za-z0-9_]*"  # an identifier, not a dunder (no lib.__main__, no __class__)
_MODULE = re.compile(rf"lib(\.{_NAME})+")
_QUALNAME = re.compile(rf"{_NAME}(\.{_NAME})*")

# Modules renamed since results were first stored (the layering of 2026-12): a stored dataclass names its module,
# and a result stored under an old name is read under the new one (add a line when a module of result classes moves).
RENAMED_MODULES = {"lib.compare": "lib.measures.compare", "lib.model": "lib.core.model",
                   "lib.section4": "lib.studies.mixture_dynamics", "lib.section5": "lib.studies.universality",
                   "lib.trajectory": "lib.core.trajectory"}


class Unstorable(TypeError):
    """A result holds something that cannot be stored as data (the message says what and where)."""


class Refused(ValueError):
    """A file that is not a result stored as data: not a zip of ``.npy`` members, a member that needs a pickle,
    a structure that does not parse, or a class that is not a dataclass of ``lib``."""


class MissingClass(RuntimeError):
    """A stored result names a dataclass of ``lib`` that this code does not define, or whose fields changed (a
    code problem, not a corrupt file)."""


# ------------------------------------------------------------------------------------------ encoding
class _Encoder:
    def __init__(self):
        self.arrays: list[np.ndarray] = []

    def array(self, x: np.ndarray, where: str) -> int:
        if x.dtype.hasobject:
            raise Unstorable(f"{where}: an array of Python objects (dtype {x.dtype}) cannot be stored as data")
        self.arrays.append(x)
        return len(self.arrays) - 1

    def __call__(self, x: Any, where: str = "result") -> Any:
        t = type(x)
        if x is None or t in (bool, int, str):
            return x
        if t is float:
            return x if np.isfinite(x) else {"__float__": struct.pack(">d", x).hex()}
        if t is np.ndarray:
            return {"__array__": self.array(x, where)}
        if isinstance(x, np.generic):
            return {"__scalar__": self.array(np.asarray(x), where)}
        if t is list:
            return [self(v, f"{where}[{i}]") for i, v in enumerate(x)]
        if t is tuple:
            return {"__tuple__": [self(v, f"{where}[{i}]") for i, v in enumerate(x)]}
        if t is dict:
            if all(type(k) is str and not k.startswith("__") for k in x):
                return {k: self(v, f"{where}[{k!r}]") for k, v in x.items()}
            return {"__dict__": [[self(k, f"{where} key {k!r}"), self(v, f"{where}[{k!r}]")] for k, v in x.items()]}
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            return self.dataclass(x, where)
        raise Unstorable(f"{where}: a {t.__module__}.{t.__qualname__} cannot be stored as data (arrays, numbers, "
                         "strings, None, lists, tuples, dicts and dataclasses of lib can)")

    def dataclass(self, x: Any, where: str) -> dict:
        cls = type(x)
        name = f"{cls.__module__}:{cls.__qualname__}"
        if not _MODULE.fullmatch(cls.__module__) or not _QUALNAME.fullmatch(cls.__qualname__):
            raise Unstorable(f"{where}: {name} is not a dataclass defined at the top of a lib module")
        if _find_class(cls.__module__, cls.__qualname__) is not cls:
            raise Unstorable(f"{where}: {name} is not found under that name (a class of that name replaced it)")
        names = [f.name for f in dataclasses.fields(x)]
        extra = sorted(set(getattr(x, "__dict__", {})) - set(names))
        if extra:
            raise Unstorable(f"{where}: {name} holds attributes that are not fields ({', '.join(extra)})")
        return {"__dataclass__": name, "fields": {n: self(getattr(x, n), f"{where}.{n}") for n in names}}


def _find_class(module: str, qualname: str) -> Any:
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def dumps(obj: Any) -> bytes:
    """The bytes of the ``.npz`` file holding ``obj`` (:class:`Unstorable` if it holds something that cannot be
    stored as data). Byte-reproducible: equal results give equal bytes."""
    encode = _Encoder()
    structure = {"format": FORMAT, "result": encode(obj)}
    text = json.dumps(structure, separators=(",", ":"), allow_nan=False).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        members = [(STRUCTURE, np.frombuffer(text, dtype=np.uint8))]
        members += [(f"a{i}", a) for i, a in enumerate(encode.arrays)]
        for name, array in members:
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_DATE)
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, array, allow_pickle=False)
    return buffer.getvalue()


def dump(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` to ``<path>.npz`` (the suffix added when missing); returns the file's path. Not atomic: the
    cache writes :func:`dumps` through :func:`lib.core.cache.atomic_write`."""
    path = Path(path)
    path = path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)
    path.write_bytes(dumps(obj))
    return path


# ------------------------------------------------------------------------------------------ decoding
def _members(data: bytes) -> dict[str, np.ndarray]:
    """Every member of the ``.npz`` bytes, read with pickles disabled."""
    if not data.startswith(_ZIP):
        raise Refused("is not an .npz (a zip of .npy arrays)" + (": it looks like a pickle, which is never read"
                                                                if data[:1] == b"\x80" else ""))
    try:
        z = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise Refused("is a single .npy array, not an .npz of a result")
        with z:
            names = set(z.files)
            if STRUCTURE not in names or not names <= {STRUCTURE} | {f"a{i}" for i in range(len(names))}:
                raise Refused(f"has members {sorted(names)[:5]}, not a structure and arrays a0, a1, ...")
            members = {name: z[name] for name in names}
    except Refused:
        raise
    except Exception as err:                                # not a zip, truncated, a bad or pickled member
        if isinstance(err, ValueError) and "allow_pickle" in str(err):
            raise Refused("holds a member of pickled objects (refused: a pickle can run code)") from None
        raise Refused(f"cannot be read as an .npz ({type(err).__name__}: {err})") from None
    if not all(type(m) is np.ndarray for m in members.values()):
        raise Refused("has a member that is not an .npy array")
    return members


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays

    def array(self, i: Any) -> np.ndarray:
        if type(i) is not int or f"a{i}" not in self.arrays:
            raise Refused(f"names an array {i!r} that the file does not hold")
        return self.arrays[f"a{i}"]

    def __call__(self, x: Any) -> Any:
        if x is None or type(x) in (bool, int, str, float):
            return x
        if type(x) is list:
            return [self(v) for v in x]
        if type(x) is not dict:
            raise Refused(f"has a structure element of type {type(x).__name__}")
        tags = [t for t in _TAGS if t in x]
        if not tags:
            return {k: self(v) for k, v in x.items()}
        tag, value = tags[0], x[tags[0]]
        if len(x) != (2 if tag == "__dataclass__" else 1):
            raise Refused(f"has a malformed {tag} element")
        if tag == "__float__":
            return struct.unpack(">d", bytes.fromhex(value))[0]
        if tag == "__tuple__":
            return tuple(self(v) for v in value)
        if tag == "__dict__":
            return {self._key(k): self(v) for k, v in value}
        if tag == "__array__":
            return self.array(value)
        if tag == "__scalar__":
            return self.array(value)[()]
        return self.dataclass(value, x["fields"])

    def _key(self, k: Any) -> Any:
        key = self(k)
        if isinstance(key, (list, dict, np.ndarray)):
            raise Refused("has a dict key that is not hashable")
        return key

    def dataclass(self, name: Any, fields: Any) -> Any:
        cls = allowed_class(name)
        if type(fields) is not dict:
            raise Refused(f"has malformed fields for {name}")
        expected = [f.name for f in dataclasses.fields(cls)]
        if sorted(fields) != sorted(expected):
            raise MissingClass(f"the class {name} with fields {sorted(fields)}, but the class now has "
                               f"{sorted(expected)}")
        obj = cls.__new__(cls)
        for field in expected:
            object.__setattr__(obj, field, self(fields[field]))
        return obj


def allowed_class(name: Any) -> type:
    """The class ``"module:QualName"`` if it is a dataclass defined in a ``lib`` module (old module names read
    through :data:`RENAMED_MODULES`); :class:`Refused` for any other name, :class:`MissingClass` for a ``lib``
    dataclass this code does not define."""
    module, _, qualname = name.partition(":") if isinstance(name, str) else ("", "", "")
    if not _MODULE.fullmatch(module) or not _QUALNAME.fullmatch(qualname):
        raise Refused(f"names the class {name!r}: only dataclasses of lib modules are read")
    module = RENAMED_MODULES.get(module, module)
    try:
        cls = _find_class(module, qualname)
    except (ImportError, AttributeError) as err:
        raise MissingClass(f"the class {module}:{qualname}, which this code does not define ({type(err).__name__}: "
                           f"{err})") from None
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise Refused(f"names {name!r}, which is not a dataclass: only dataclasses of lib modules are read")
    return cls


def loads(data: bytes) -> Any:
    """The result held by the ``.npz`` bytes ``data``. :class:`Refused` if they are not a result stored as data
    (no pickle is ever read), :class:`MissingClass` if they name a ``lib`` dataclass this code lacks."""
    arrays = _members(data)
    try:
        structure = json.loads(arrays.pop(STRUCTURE).tobytes().decode())
    except (ValueError, UnicodeDecodeError) as err:
        raise Refused(f"has a structure that is not JSON ({type(err).__name__}: {err})") from None
    if type(structure) is not dict or structure.get("format") != FORMAT or "result" not in structure:
        raise Refused(f"has a structure of another format ({str(structure)[:60]})")
    try:
        return _Decoder(arrays)(structure["result"])
    except (Refused, MissingClass):
        raise
    except (TypeError, ValueError, KeyError, struct.error, RecursionError) as err:
        raise Refused(f"has a malformed structure ({type(err).__name__}: {err})") from None


def load(path: str | Path) -> Any:
    """The result stored in the ``.npz`` file ``path`` (see :func:`loads`)."""
    return loads(Path(path).read_bytes())


def difference(a: Any, b: Any, where: str = "result") -> str:
    """Where ``a`` and ``b`` differ, in one line ("" when they are identical: the same types throughout, tuples
    not lists, dict keys of the same types in the same order, floats and arrays bit for bit with the same dtype
    and shape). Checks that a result read back is the result stored."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__qualname__} != {type(b).__qualname__}"
    if isinstance(a, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.dtype.str != b.dtype.str or a.shape != b.shape:
            return f"{where}: {a.dtype.str}{a.shape} != {b.dtype.str}{b.shape}"
        return "" if np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes() else f"{where}: values"
    if type(a) is float:
        return "" if struct.pack(">d", a) == struct.pack(">d", b) else f"{where}: {a!r} != {b!r}"
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        pairs = [(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}") for f in dataclasses.fields(a)]
    elif type(a) is dict:
        if [(type(k), k) for k in a] != [(type(k), k) for k in b]:
            return f"{where}: keys {list(a)[:4]} != {list(b)[:4]}"
        pairs = [(a[k], b[k], f"{where}[{k!r}]") for k in a]
    elif type(a) in (list, tuple):
        if len(a) != len(b):
            return f"{where}: length {len(a)} != {len(b)}"
        pairs = [(x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b))]
    else:
        return "" if a == b else f"{where}: {a!r} != {b!r}"
    return next((d for d in (difference(x, y, w) for x, y, w in pairs) if d), "")
