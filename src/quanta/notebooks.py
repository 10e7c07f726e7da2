"""The notebook runner: papermill is the only executor, the book only renders.

``notebooks/<chapter>.md`` (MyST, jupytext) is read in memory, its ``parameters`` cell is parsed and the
requested overrides are validated against it (unknown names or wrong types fail with exit status 2
*before* any kernel starts: papermill itself only warns), figure captions are copied from the figure
registry into the cells that display them, and papermill executes it with kernel ``python3`` into
``book/_generated/<chapter>.ipynb``. The executed notebook records its parameters and provenance in
its metadata. A failed run leaves ``book/_generated/.<chapter>.failed.ipynb`` for inspection and never
replaces a good executed notebook.
"""

from __future__ import annotations

import ast
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import generated_dir, notebooks_dir, root
from .provenance import git_commit, timestamp, versions
from .validate import SCALES

#: Chapters in book order; the notebook stem is the chapter id.
CHAPTERS = ("theory", "sparse_parity", "llm_losses", "planted_quanta", "monogenic", "qdg", "appendix_d", "appendix_e")


class ParameterError(ValueError):
    """An override that does not match the notebook's parameters cell."""


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    help: str

    @property
    def type(self) -> type:
        return type(self.default)


def notebook_path(name: str) -> Path:
    """``notebooks/<name>.md`` for a chapter id (or a path to a notebook)."""
    p = Path(name)
    if p.suffix in (".md", ".ipynb") and p.exists():
        return p
    cand = notebooks_dir() / f"{p.stem}.md"
    if not cand.is_file():
        avail = sorted(q.stem for q in notebooks_dir().glob("*.md"))
        raise ParameterError(f"notebook={name!r} not found; available: {', '.join(avail) or 'none'}")
    return cand


def read(name: str):
    """The notebook as a ``NotebookNode`` (MyST markdown converted in memory with jupytext)."""
    import jupytext
    import nbformat

    path = notebook_path(name)
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    return jupytext.read(path)


def _parameters_cell(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ParameterError(f"a notebook needs exactly one cell tagged 'parameters', found {len(tagged)}")
    if code[0] is not tagged[0]:
        raise ParameterError("the 'parameters' cell must be the first code cell")
    return tagged[0]


def parameters(nb) -> dict[str, Parameter]:
    """Parse the parameters cell: ``name = literal  # help`` lines, literals only."""
    src = _parameters_cell(nb).source
    lines = src.splitlines()
    out: dict[str, Parameter] = {}
    for node in ast.parse(src).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(f"parameters cell line {node.lineno}: only 'name = literal' assignments are allowed")
        try:
            value = ast.literal_eval(node.value)
        except ValueError as e:
            raise ParameterError(f"parameters cell line {node.lineno}: value of {node.targets[0].id} is not a literal") from e
        line = lines[node.lineno - 1]
        help_ = line.split("#", 1)[1].strip() if "#" in line else ""
        out[node.targets[0].id] = Parameter(node.targets[0].id, value, help_)
    return out


def _coerce(p: Parameter, raw: Any) -> Any:
    value = raw
    if isinstance(raw, str) and p.type is not str:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
    t = p.type
    ok = (isinstance(value, t) and not (t is int and isinstance(value, bool))) or (t is float and isinstance(value, int) and not isinstance(value, bool))
    if p.default is None:
        ok = True
    if not ok:
        raise ParameterError(f"parameter {p.name}={raw!r} has the wrong type: expected {t.__name__} (default {p.default!r})")
    if t is float and isinstance(value, int):
        value = float(value)
    return value


def describe_parameters(params: dict[str, Parameter]) -> str:
    return "\n".join(f"  {p.name} ({p.type.__name__}, default {p.default!r}){': ' + p.help if p.help else ''}" for p in params.values())


def validate(nb, overrides: dict[str, Any]) -> dict[str, Any]:
    """Check overrides against the parameters cell; return them coerced to the declared types."""
    params = parameters(nb)
    out = {}
    for name, raw in overrides.items():
        if name not in params:
            raise ParameterError(f"unknown parameter {name!r}; valid parameters are:\n{describe_parameters(params)}")
        out[name] = _coerce(params[name], raw)
    if "scale" in out and out["scale"] not in SCALES:
        raise ParameterError(f"parameter scale={out['scale']!r} is not allowed; choose one of {', '.join(SCALES)}")
    return out


def inject_captions(nb) -> list[str]:
    """Copy each registered figure's caption into the cell whose ``mystnb.figure.name`` is its id."""
    from .figures import registry

    reg = registry()
    ids = []
    for cell in nb.cells:
        fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if cell.cell_type != "code" or not fig or "name" not in fig:
            continue
        fid = fig["name"]
        if fid not in reg:
            raise ParameterError(f"figure {fid!r} shown in the notebook is not in figures/registry/*.yml")
        fig.setdefault("caption", reg[fid]["caption"])
        ids.append(fid)
    return ids


def run_notebook(name: str, params: dict[str, Any] | None = None, *, scale: str | None = None,
                 output: Path | None = None, progress: bool = False, log_output: bool = False,
                 timeout: int | None = None) -> Path:
    """Validate parameters, then execute ``notebooks/<name>.md`` with papermill.

    Returns the path of the executed notebook (``book/_generated/<name>.ipynb`` by default).
    """
    import nbformat
    import papermill as pm

    nb = read(name)
    overrides = dict(params or {})
    if scale is not None:
        overrides["scale"] = scale
    overrides = validate(nb, overrides)
    inject_captions(nb)
    stem = notebook_path(name).stem
    output = Path(output) if output is not None else generated_dir() / f"{stem}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial.ipynb")
    failed = output.with_name(f".{output.stem}.failed.ipynb")
    effective = {k: p.default for k, p in parameters(nb).items()} | overrides
    env_before = {k: os.environ.get(k) for k in ("QUANTA_NOTEBOOK", "QUANTA_PARAMS", "QUANTA_PROGRESS", "QUANTA_ROOT", "PYTHONWARNINGS")}
    os.environ["QUANTA_NOTEBOOK"] = stem
    os.environ["QUANTA_PARAMS"] = json.dumps(effective, sort_keys=True, default=str)
    os.environ["QUANTA_ROOT"] = str(root())
    if not progress:
        os.environ["QUANTA_PROGRESS"] = "0"
    t0 = time.time()
    try:
        pm.execute_notebook(nb, str(partial), parameters=overrides, kernel_name="python3", cwd=str(root()),
                            progress_bar=progress, log_output=log_output, execution_timeout=timeout,
                            report_mode=False)
    except BaseException:
        if partial.exists():
            os.replace(partial, failed)
        raise
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    executed = nbformat.read(partial, as_version=4)
    executed.metadata["quanta"] = {"notebook": stem, "parameters": effective, "overrides": overrides,
                                   "git_commit": git_commit(), "versions": versions(), "finished": timestamp(),
                                   "wall_s": round(time.time() - t0, 1)}
    nbformat.write(executed, partial)
    os.replace(partial, output)
    if failed.exists():
        failed.unlink()
    return output


def available_chapters() -> list[str]:
    return [c for c in CHAPTERS if (notebooks_dir() / f"{c}.md").is_file()]


def glued(executed) -> dict[str, str]:
    """Values glued with ``myst_nb.glue`` in an executed notebook (path or NotebookNode): name -> text."""
    import nbformat

    nb = nbformat.read(executed, as_version=4) if isinstance(executed, (str, Path)) else executed
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            sb = o.get("metadata", {}).get("scrapbook")
            if sb:
                data = o.get("data", {})
                prefix = sb.get("mime_prefix", "")
                out[sb["name"]] = data.get(prefix + "text/plain", data.get("text/plain"))
    return out
