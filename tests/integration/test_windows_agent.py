"""The Windows agent under Wine: its backends, enrollment and service, in the real runtime.

The inner tests (tests/windows/) run INSIDE the runtime's python.exe under Wine on Xvfb,
with pytest's Windows wheels added to a test copy of the runtime. Their output is piped
back; any failure or skip there fails this test with that output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.system import in_ci
from tests.support.wine import WinePrefix, make_test_runtime

INNER = Path(__file__).resolve().parents[1] / "windows"


@pytest.fixture(scope="module")
def test_runtime(windows_runtime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("win-test-runtime")
    runtime = make_test_runtime(windows_runtime, root / "runtime", ["pytest"])
    shutil.copytree(INNER, root / "wintests", ignore=shutil.ignore_patterns("__pycache__"))
    return runtime


def _inner(wine: WinePrefix, runtime: Path, *selection: str) -> str:
    tests = runtime.parent / "wintests"
    args = ["-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--rootdir",
            wine.windows_path(runtime.parent), "-o", "console_output_style=classic",
            *(wine.windows_path(tests / name) for name in selection or ("",))]  # fmt: skip
    done = wine.run_python(runtime, args, cwd=runtime.parent, timeout=600)
    output = f"--- inner pytest exit {done.returncode} ---\n{done.stdout}\n{done.stderr}"
    if done.returncode != 0:
        pytest.fail(output, pytrace=False)
    if in_ci() and " skipped" in done.stdout:
        pytest.fail("CI=true: an inner Windows test skipped\n" + output, pytrace=False)
    return output


def test_sendinput_reaches_a_window(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_sendinput.py")
    assert "3 passed" in out, out


def test_clipboard_round_trip(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_clipboard.py")
    assert "3 passed" in out, out


def test_gdi_capture_sees_a_window(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_capture.py")
    assert "1 passed" in out, out
