"""Static checks of every notebook: kernel python3, one parameters cell first with scale/seed/device,
no logic (def, class, file I/O, savefig) in notebooks, every figure registered and shown exactly once."""

import ast
import re

import pytest

from quanta import notebooks as nbs
from quanta.figures import registry
from quanta.paths import notebooks_dir

NOTEBOOKS = sorted(p.stem for p in notebooks_dir().glob("*.md"))
FORBIDDEN = re.compile(r"(^|\n)\s*(def |class |async def )|savefig\(|\bopen\(|to_csv\(|np\.save|torch\.save|plt\.show")


def test_every_notebook_is_a_chapter():
    assert set(NOTEBOOKS) <= set(nbs.CHAPTERS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_anatomy(name):
    nb = nbs.read(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = nbs.parameters(nb)  # raises unless exactly one parameters cell, first
    assert {"scale", "seed", "device"} <= set(params)
    assert params["scale"].default in ("smoke", "small", "paper")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not FORBIDDEN.search(cell.source), f"logic or file I/O in a notebook cell of {name}:\n{cell.source}"
        ast.parse(cell.source)


def test_figures_registered_and_each_shown_once():
    reg = registry()
    shown = {}
    for name in NOTEBOOKS:
        nb = nbs.read(name)
        for fid in nbs.inject_captions(nb):  # raises on an unregistered id
            shown[fid] = shown.get(fid, 0) + 1
            assert reg[fid]["chapter"] == name, f"{fid} is shown in {name} but registered under {reg[fid]['chapter']}"
    for fid, e in reg.items():
        if e["chapter"] in NOTEBOOKS:
            assert shown.get(fid) == 1, f"{fid} is registered but shown {shown.get(fid, 0)} times"
