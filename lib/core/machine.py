"""The machine a result was computed on, and the code it was computed with: CPU model and cores, library
versions, the GPU when CUDA is present, the git commit. Provenance records and benchmark records use both."""
from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch

from . import paths

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"

def machine_info() -> dict:
    """The machine as a benchmark record names it: CPU model and cores, torch threads and version,
    the GPU when CUDA is present."""
    return dict(cpu_model=cpu_model(), cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
                torch=torch.__version__, numpy=np.__version__, python=platform.python_version(),
                platform=platform.platform(terse=True),
                gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)

def git_commit() -> tuple[str, bool | None]:
    """(HEAD commit, whether the working tree has uncommitted changes); ("unknown", None) without git."""
    root = paths.ROOT
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode:
            return "unknown", None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip(), bool(dirty.stdout.strip()) if dirty.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
