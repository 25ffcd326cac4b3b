"""Configuration: sources, precedence, clear errors, and docs that list every setting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from guruconnect.server.config import ConfigError, Settings, load_settings

DOCS = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s.bind == "127.0.0.1:8443" and s.tls_enabled and s.require_mfa
    assert s.effective_public_url == "https://127.0.0.1:8443"
    assert s.effective_database_url.startswith("sqlite+aiosqlite:///")


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    f = tmp_path / "guru.toml"
    f.write_text(
        '[server]\nbind = "0.0.0.0:9000"\nlog_level = "DEBUG"\nallowed_origins = ["https://a.example"]\n'
    )
    s = load_settings(
        config_file=f,
        environ={"GURU_LOG_LEVEL": "WARNING"},
        overrides={"bind": "127.0.0.1:9100", "data_dir": None},
    )
    assert s.bind == "127.0.0.1:9100" and s.log_level == "WARNING"
    assert s.allowed_origins == ("https://a.example",)


def test_env_lists_and_booleans() -> None:
    s = load_settings(
        environ={
            "GURU_BEHIND_PROXY": "yes",
            "GURU_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "GURU_PUBLIC_URL": "https://gc.example.com",
        }
    )
    assert s.behind_proxy and s.trusted_proxies == ("10.0.0.1", "10.0.0.2") and not s.tls_enabled
    assert "https://gc.example.com" in s.origins


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GURU_BIND": "nonsense"}, "HOST:PORT"),
        ({"GURU_BIND": "1.2.3.4:port"}, "port"),
        ({"GURU_REQUIRE_MFA": "maybe"}, "true or false"),
        ({"GURU_SESSION_LIFETIME_HOURS": "-1"}, "negative"),
        ({"GURU_SESSION_LIFETIME_HOURS": "0"}, "at least 1"),
        ({"GURU_BEHIND_PROXY": "true"}, "trusted_proxies"),
        ({"GURU_BEHIND_PROXY": "true", "GURU_TRUSTED_PROXIES": "10.0.0.1"}, "public_url"),
        ({"GURU_TRUSTED_PROXIES": "not-an-ip"}, "not an address"),
        ({"GURU_TLS_CERT_FILE": "/x.pem"}, "together"),
        ({"GURU_LOG_FORMAT": "xml"}, "text or json"),
        ({"GURU_LOG_LEVEL": "LOUD"}, "log_level"),
        ({"GURU_PUBLIC_URL": "ftp://x"}, "https://"),
    ],
)
def test_bad_values_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env)


def test_bad_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(config_file=tmp_path / "missing.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("bind = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=bad, environ={})
    bad.write_text('bnid = "x"')
    with pytest.raises(ConfigError, match="unknown setting 'bnid'"):
        load_settings(config_file=bad, environ={})
    bad.write_text('log_level = "INFO"\n[server]\nbind = "127.0.0.1:1"')
    with pytest.raises(ConfigError, match="outside"):
        load_settings(config_file=bad, environ={})


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_settings(environ={}).bind = "x"  # type: ignore[misc]


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    for field in dataclasses.fields(Settings):
        assert f"`{field.name}`" in text, f"docs/configuration.md lacks {field.name}"
        assert f"GURU_{field.name.upper()}" in text
