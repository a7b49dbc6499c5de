"""Choice of compute device: CUDA when present, CPU otherwise (``HMM_DEVICE`` overrides)."""
from __future__ import annotations

import os

import torch

from . import validate


def default_device() -> torch.device:
    name = os.environ.get("HMM_DEVICE")
    if name:
        validate.choice("HMM_DEVICE", name.split(":")[0], ("cpu", "cuda"))
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise validate.ParameterError("HMM_DEVICE asks for cuda but no CUDA device is available")
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve(device=None) -> torch.device:
    """``None`` or 'auto' -> the default device; otherwise torch.device(device)."""
    if device is None or device == "auto":
        return default_device()
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise validate.ParameterError(f"device={device!r}: no CUDA device is available")
    return dev
