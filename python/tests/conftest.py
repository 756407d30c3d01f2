"""Shared fixtures of the Python tests (run by `make test` through CTest against the package that
`pip install .` built, so they test what users install)."""

import os
import shutil
import sys

import pytest


@pytest.fixture(scope="session")
def cai_cli():
    """The `cai` command that `pip install .` put next to this Python."""
    candidate = os.path.join(os.path.dirname(sys.executable), "cai")
    path = candidate if os.path.exists(candidate) else shutil.which("cai")
    if path is None:
        pytest.fail("the `cai` command is not installed next to this Python (pip install . installs it)")
    return path
