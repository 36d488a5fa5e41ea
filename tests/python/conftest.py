"""Shared fixtures of the Python module's tests (run by CTest: tests/CMakeLists.txt
sets PYTHONPATH to the build tree's python/ directory, SPARQ_SOURCE_DIR and
SPARQ_SIM_EXE)."""
import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("SPARQ_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture
def source_dir():
    return SOURCE_DIR


@pytest.fixture
def sim_exe():
    exe = os.environ.get("SPARQ_SIM_EXE")
    if not exe or not os.path.exists(exe):
        pytest.skip("SPARQ_SIM_EXE (the sparq-sim executable) not given")
    return exe


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Runs the test in an empty directory (to check that nothing is written)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
