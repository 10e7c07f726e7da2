"""Device selection: one place that turns ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a device."""

from __future__ import annotations

import platform
import re


def resolve(device: str = "auto"):
    """Return a ``torch.device`` for ``device``.

    ``"auto"`` picks CUDA when available, else CPU. An unknown name, or a CUDA device that is not
    present, raises ``ValueError`` naming the parameter and the allowed values.
    """
    import torch

    if not isinstance(device, str):
        raise TypeError(f"device={device!r} must be a string: 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    m = re.fullmatch(r"cuda(?::(\d+))?", device)
    if m is None:
        raise ValueError(f"device={device!r} is not allowed; choose 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available here; use 'cpu' or 'auto'")
    index = int(m.group(1) or 0)
    if index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) present (cuda:0..cuda:{torch.cuda.device_count() - 1})"
        )
    return torch.device("cuda", index)


def describe(device=None) -> str:
    """Short human-readable description of the device, for provenance records."""
    import torch

    dev = resolve(device) if isinstance(device, str) or device is None else device
    if dev.type == "cuda":
        return f"{torch.cuda.get_device_name(dev)} (CUDA {torch.version.cuda}, torch {torch.__version__})"
    return f"CPU {platform.machine()} x{torch.get_num_threads()} threads (torch {torch.__version__})"
