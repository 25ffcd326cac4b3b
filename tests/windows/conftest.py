"""Inner Windows tests: nothing here may import Linux-only packages or numpy."""

from __future__ import annotations

import sys

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if sys.platform != "win32":
        raise pytest.UsageError("tests/windows runs inside the Windows runtime (under Wine)")
