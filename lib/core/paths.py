"""Every folder the project uses, in one place (house style: one paths module).

All paths are absolute and derived from this file's location, so imports and notebooks
work from any working directory. Environment variables override the git-ignored outputs:
``HMM_CACHE_DIR`` (result cache) and ``HMM_OUTPUT_DIR`` (executed notebooks, figures).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "lib"
NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
DATA = ROOT / "data"
BUILD = ROOT / "_build"


def cache_dir() -> Path:
    """Folder of the result cache (git-ignored)."""
    return Path(os.environ.get("HMM_CACHE_DIR", ROOT / "_cache"))


def output_dir() -> Path:
    """Folder for executed notebooks and their figures (git-ignored)."""
    return Path(os.environ.get("HMM_OUTPUT_DIR", ROOT / "_output"))


def figure_dir() -> Path:
    """Where notebooks save figure files; the runner points this at its output folder."""
    path = Path(os.environ.get("HMM_FIGURE_DIR", output_dir() / "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path
