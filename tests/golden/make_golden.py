"""Write the golden summaries of the cached functions: ``tests/golden/<name>.json``.

    python tests/golden/make_golden.py            # every case of tests/golden/cases.py
    python tests/golden/make_golden.py NAME ...   # only these (names: the cached functions' names)

Run it only when a change of a function's numbers is intended, after bumping that function's numerics
version; ``tests/test_golden.py`` then checks the code against the new files.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")           # before torch is imported
os.environ.setdefault("MKL_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

from cases import CASES, golden_path  # noqa: E402


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    os.environ["HMM_CACHE_DIR"] = tempfile.mkdtemp(prefix="golden-cache-")   # never the user's cache
    for name in names or list(CASES):
        case = CASES[name]
        start = time.perf_counter()
        summary = case()
        record = {"function": case.name, "note": case.note, "float32": list(case.float32), "summary": summary}
        golden_path(name).write_text(json.dumps(record, indent=1) + "\n")
        print(f"{name:24s} {time.perf_counter() - start:6.2f} s -> {golden_path(name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
