"""Test configuration: offline, CPU, no progress bars; GPU and network tests skipped by default."""

import os

import pytest

os.environ.setdefault("QUANTA_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser):
    parser.addoption("--gpu", action="store_true", help="run tests marked gpu")
    parser.addoption("--network", action="store_true", help="run tests marked network")


def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in ("gpu", "network"):
            if mark in item.keywords and not config.getoption(f"--{mark}"):
                item.add_marker(pytest.mark.skip(reason=f"needs --{mark}"))


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """An empty result cache and figure folder for one test."""
    monkeypatch.setenv("QUANTA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("QUANTA_FIGURES", str(tmp_path / "figures"))
    return tmp_path


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module's tiny tensor work on one torch thread (thread hand-offs cost more than they save
    on small matrices, and more on a busy CPU); the previous setting is restored afterwards."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
