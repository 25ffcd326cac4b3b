from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import msgspec
import pytest

from guruconnect.agent.config import (
    AgentConfig,
    ConfigError,
    default_config_path,
    load_config,
    save_config,
)
from guruconnect.agent.identity import encode_seed, generate_seed

FINGERPRINT = "ab" * 32


def make_config(**overrides: object) -> AgentConfig:
    values: dict[str, object] = {
        "server_url": "https://guru.example:8443",
        "agent_id": "ag_1",
        "private_key": encode_seed(generate_seed()),
        "server_fingerprint": FINGERPRINT,
        "name": "pc1",
        "company": "Acme",
    }
    values.update(overrides)
    return AgentConfig(**values)  # type: ignore[arg-type]


def test_round_trip_and_private_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "guruconnect" / "agent.json"
    cfg = make_config(site="HQ", description="front desk", max_backoff=30.0)
    save_config(path, cfg)
    assert load_config(path) == cfg
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_save_replaces_atomically_without_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    save_config(path, make_config(name="first"))
    save_config(path, make_config(name="second"))
    assert load_config(path).name == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.json"]


def test_save_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        save_config(tmp_path / "agent.json", make_config())
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "agent.json").stat().st_mode) == 0o600


def test_save_refuses_a_config_it_could_not_load_again(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$\.name"):
        save_config(tmp_path / "agent.json", make_config(name="x" * 300))
    assert not (tmp_path / "agent.json").exists()


def test_missing_file_says_enroll_first(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist; enroll first"):
        load_config(tmp_path / "nope.json")


def test_bad_json_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(path)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("max_backoff", "soon", r"Expected `float`, got `str` - at `\$\.max_backoff`"),
        ("agent_id", "has space", r"\$\.agent_id"),
        ("server_fingerprint", "XYZ", r"\$\.server_fingerprint"),
        ("server_url", "ftp://x", r"\$\.server_url"),
        ("private_key", "c2hvcnQ=", r"must decode to 32 bytes.*\$\.private_key"),
        ("surprise", 1, r"unknown field `surprise`"),
    ],
)
def test_bad_field_names_the_field(
    tmp_path: Path, field: str, value: object, expected: str
) -> None:
    good = json.loads(msgspec.json.encode(make_config()))
    good[field] = value
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(good))
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_https_requires_a_pin_but_http_does_not(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="certificate pin"):
        make_config(server_fingerprint="")
    cfg = make_config(server_url="http://127.0.0.1:8000", server_fingerprint="")
    save_config(tmp_path / "agent.json", cfg)
    assert load_config(tmp_path / "agent.json") == cfg


def test_default_path_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GURU_AGENT_CONFIG", "/tmp/x/agent.json")
    assert default_config_path() == Path("/tmp/x/agent.json")
    monkeypatch.delenv("GURU_AGENT_CONFIG")
    expected = (
        Path("/etc/guruconnect/agent.json")
        if os.geteuid() == 0
        else Path.home() / ".config" / "guruconnect" / "agent.json"
    )
    assert default_config_path() == expected
