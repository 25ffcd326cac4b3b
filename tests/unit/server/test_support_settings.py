"""Portal and support-session settings are checked when the server starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from guruconnect.server.config import ConfigError, load_settings


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s.portal_name == "GuruConnect Support" and s.portal_logo_path == ""
    assert s.support_join_max_failures_per_ip < s.support_join_max_failures_global


def test_logo_must_be_an_existing_image(tmp_path: Path) -> None:
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert load_settings(environ={"GURU_PORTAL_LOGO_PATH": str(png)}).portal_logo_path == str(png)
    with pytest.raises(ConfigError, match="not a readable file"):
        load_settings(environ={"GURU_PORTAL_LOGO_PATH": str(tmp_path / "missing.png")})
    svg = tmp_path / "logo.svg"
    svg.write_text("<svg/>")
    with pytest.raises(ConfigError, match="image"):
        load_settings(environ={"GURU_PORTAL_LOGO_PATH": str(svg)})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GURU_PORTAL_NAME", " "),
        ("GURU_PORTAL_NAME", "x" * 129),
        ("GURU_SUPPORT_JOIN_MAX_FAILURES_PER_IP", "0"),
        ("GURU_SUPPORT_JOIN_MAX_FAILURES_GLOBAL", "-1"),
        ("GURU_SUPPORT_JOIN_FAILURE_WINDOW_SECONDS", "x"),
        ("GURU_SUPPORT_RECONNECT_GRACE_SECONDS", "0"),
    ],
)
def test_bad_values_stop_the_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        load_settings(environ={name: value})
