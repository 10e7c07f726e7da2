"""Shared pieces of the notebook tests: run a chapter at smoke scale, check its figure sidecars."""

import json

import nbformat
import pytest

from quanta.notebooks import run_notebook


@pytest.fixture(scope="module")
def run_smoke(tmp_path_factory):
    """``run_smoke(chapter) -> (executed notebook, figures folder)``.

    The chapter runs through the runner at ``smoke`` against the shared result cache (chapters reuse
    each other's cached suites); only the figure folder is private to the test module.
    """

    def run(chapter: str):
        figs = tmp_path_factory.mktemp("figures")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("QUANTA_FIGURES", str(figs))
            out = run_notebook(chapter, scale="smoke", output=figs / f"{chapter}.ipynb")
        return nbformat.read(out, as_version=4), figs

    return run


def check_sidecars(figs, fig_ids, scale="smoke") -> list[dict]:
    """Every figure has its sidecar, recorded at ``scale``, and non-trivial files with sha256 digests."""
    sidecars = []
    for fid in fig_ids:
        side = json.loads((figs / f"{fid}.json").read_text())
        assert side["notebook_parameters"]["scale"] == scale
        for name, digest in side["files"].items():
            assert (figs / name).stat().st_size > 1000 and len(digest) == 64
        sidecars.append(side)
    return sidecars


@pytest.fixture(scope="session")
def sidecars_ok():
    """:func:`check_sidecars`, as a fixture (test modules do not import each other)."""
    return check_sidecars
