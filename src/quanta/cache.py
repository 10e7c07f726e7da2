"""Content-addressed result cache with atomic writes and checksum verification.

A stage's result is stored under ``<cache>/<stage>/<key>/`` where ``key`` hashes the stage name, its
configuration, the stage version (bump it when the code's output changes) and the keys of its inputs.
Arrays go to one ``arrays.npz``; other values to ``data.json``; ``meta.json`` is written last and holds
the sha256 of every file. An entry is written into a temporary folder and renamed into place, so a
killed process never leaves a half-written entry; an entry whose files are truncated or whose checksum
does not match is reported, removed and recomputed, never used.

Stages that write many files (model checkpoints) use :func:`stage_dir`: the folder keeps partial
progress so a killed run resumes, and is only *complete* once :meth:`StageDir.mark_complete` ran.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import json
import logging
import math
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from .paths import cache_dir
from .provenance import git_commit, timestamp, versions

log = logging.getLogger(__name__)

#: (stage, key, "hit" | "miss" | "recomputed") for every lookup in this process, for provenance cells.
LOOKUPS: list[tuple[str, str, str]] = []


def canonical(obj: Any) -> Any:
    """A JSON-able, order-stable representation of a config (dataclasses, numpy, paths, enums)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        d = {f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"__type__": type(obj).__qualname__, **d}
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest(),
                "shape": list(obj.shape), "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    if hasattr(obj, "key") and isinstance(getattr(obj, "key"), str):
        return {"__key__": obj.key}
    raise TypeError(f"cannot hash config value of type {type(obj).__name__}: {obj!r}")


def _input_key(x: Any) -> str:
    if isinstance(x, str):
        return x
    k = getattr(x, "key", None)
    if isinstance(k, str):
        return k
    raise TypeError(f"inputs must be cache keys (str) or objects with a .key, got {type(x).__name__}")


def key(stage: str, cfg: Any, *, version: int, inputs: Iterable[Any] = ()) -> str:
    """Content key of a stage run: sha256 of (stage, version, canonical config, input keys)."""
    payload = {"stage": stage, "version": version, "cfg": canonical(cfg), "inputs": [_input_key(i) for i in inputs]}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class CachedResult(dict):
    """A stage result (a ``dict``) that also carries its cache ``key``, ``stage`` and ``status``."""

    key: str = ""
    stage: str = ""
    status: str = ""


class CacheCorruption(RuntimeError):
    pass


def _entry_dir(stage: str, k: str) -> Path:
    return cache_dir() / stage / k


def _split(result: dict) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    if not isinstance(result, dict):
        raise TypeError(f"a cached stage must return a dict, got {type(result).__name__}")
    arrays, data = {}, {}
    for name, value in result.items():
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"result[{name!r}] is an object array; store numbers or strings (dtype U)")
            arrays[name] = value
        elif _is_dataframe(value):
            data[name] = {"__dataframe__": json.loads(value.to_json(orient="split", double_precision=15))}
        else:
            try:
                json.dumps(value)
            except TypeError as e:
                raise TypeError(f"result[{name!r}] of type {type(value).__name__} is neither an array nor JSON-able") from e
            data[name] = value
    return arrays, data


def _is_dataframe(v: Any) -> bool:
    return type(v).__name__ == "DataFrame" and hasattr(v, "to_json")


def _restore(data: dict) -> dict:
    out = {}
    for name, value in data.items():
        if isinstance(value, dict) and "__dataframe__" in value:
            import pandas as pd

            s = value["__dataframe__"]
            out[name] = pd.DataFrame(s["data"], index=s["index"], columns=s["columns"])
        else:
            out[name] = value
    return out


def _write_entry(final: Path, stage: str, k: str, cfg: Any, version: int, result: dict, wall_s: float) -> None:
    arrays, data = _split(result)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{k}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files = {}
        if arrays:
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            (tmp / "arrays.npz").write_bytes(buf.getvalue())
            files["arrays.npz"] = _sha256_file(tmp / "arrays.npz")
        (tmp / "data.json").write_text(json.dumps(data, indent=1, sort_keys=True))
        files["data.json"] = _sha256_file(tmp / "data.json")
        meta = {"stage": stage, "key": k, "version": version, "cfg": canonical(cfg), "files": files,
                "created": timestamp(), "wall_s": round(wall_s, 3), "git_commit": git_commit(), "versions": versions()}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _read_entry(d: Path) -> dict:
    try:
        meta = json.loads((d / "meta.json").read_text())
        for name, digest in meta["files"].items():
            if _sha256_file(d / name) != digest:
                raise CacheCorruption(f"checksum mismatch for {name}")
        out = _restore(json.loads((d / "data.json").read_text()))
        if "arrays.npz" in meta["files"]:
            with np.load(d / "arrays.npz", allow_pickle=False) as z:
                out.update({n: z[n] for n in z.files})
        return out
    except CacheCorruption:
        raise
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        raise CacheCorruption(f"{type(e).__name__}: {e}") from e


def memo(stage: str, cfg: Any, compute: Callable[[], dict], *, version: int, inputs: Iterable[Any] = (),
         refresh: bool = False) -> CachedResult:
    """Return the cached result of ``compute()`` for (stage, cfg, version, inputs), computing it once.

    Parameters
    ----------
    stage : str
        Stage name, e.g. ``"theory.simulate_data_scaling"``.
    cfg : dataclass or dict
        Everything that determines the result.
    compute : callable
        Returns a dict of numpy arrays and JSON-able values (or DataFrames).
    version : int
        Bump when the stage's code changes its output.
    inputs : iterable of keys or objects with ``.key``
        Upstream cache entries the result depends on.
    refresh : bool
        Recompute even if a valid entry exists.
    """
    inputs = list(inputs)
    k = key(stage, cfg, version=version, inputs=inputs)
    d = _entry_dir(stage, k)
    status = "miss"
    if d.exists() and not refresh:
        try:
            out = CachedResult(_read_entry(d))
            out.key, out.stage, out.status = k, stage, "hit"
            LOOKUPS.append((stage, k, "hit"))
            return out
        except CacheCorruption as e:
            log.warning("cache entry %s/%s is corrupt (%s); recomputing", stage, k, e)
            print(f"[quanta.cache] entry {stage}/{k} is corrupt ({e}); recomputing")
            shutil.rmtree(d, ignore_errors=True)
            status = "recomputed"
    t0 = time.perf_counter()
    result = compute()
    _write_entry(d, stage, k, cfg, version, result, time.perf_counter() - t0)
    out = CachedResult(_read_entry(d))
    out.key, out.stage, out.status = k, stage, status
    LOOKUPS.append((stage, k, status))
    return out


@dataclasses.dataclass
class StageDir:
    """A cache folder for a stage that writes many files and can resume after being killed."""

    stage: str
    key: str
    path: Path

    @property
    def complete(self) -> bool:
        return (self.path / "COMPLETE").is_file()

    def mark_complete(self, meta: dict | None = None) -> None:
        """Record the files present now (with sha256) and mark the stage complete, atomically."""
        files = {str(p.relative_to(self.path)): _sha256_file(p) for p in sorted(self.path.rglob("*"))
                 if p.is_file() and p.name not in ("COMPLETE", "meta.json") and not p.name.startswith(".")}
        info = {"stage": self.stage, "key": self.key, "files": files, "created": timestamp(),
                "git_commit": git_commit(), "versions": versions(), **(meta or {})}
        atomic_write_text(self.path / "meta.json", json.dumps(info, indent=1, sort_keys=True, default=str))
        atomic_write_text(self.path / "COMPLETE", timestamp())

    def verify(self) -> bool:
        """True if complete and every recorded file still matches its checksum."""
        if not self.complete:
            return False
        try:
            meta = json.loads((self.path / "meta.json").read_text())
            return all(_sha256_file(self.path / n) == h for n, h in meta["files"].items())
        except (OSError, ValueError, KeyError):
            return False

    def reset(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)


def stage_dir(stage: str, cfg: Any, *, version: int, inputs: Iterable[Any] = ()) -> StageDir:
    """The (created) folder of a multi-file stage; partial contents are kept for resuming.

    A folder marked complete whose files fail verification is reported and emptied.
    """
    inputs = list(inputs)
    k = key(stage, cfg, version=version, inputs=inputs)
    sd = StageDir(stage, k, _entry_dir(stage, k))
    sd.path.mkdir(parents=True, exist_ok=True)
    if sd.complete and not sd.verify():
        log.warning("stage folder %s/%s failed verification; starting again", stage, k)
        print(f"[quanta.cache] stage folder {stage}/{k} failed verification; recomputing")
        sd.reset()
    LOOKUPS.append((stage, k, "hit" if sd.complete else "miss"))
    return sd


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace`` (never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())
