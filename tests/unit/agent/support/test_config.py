"""The baked config: anything missing, malformed or edited gives one clear sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guruconnect.agent.support.config import (
    SupportConfig,
    SupportConfigError,
    encode_support_config,
    load_support_config,
    parse_support_config,
)

GOOD = {
    "server_url": "https://support.example.com",
    "server_fingerprint": "ab" * 32,
    "join_token": "Q" * 43,
    "portal_name": "Example Support",
}


def parsed(**changes: object) -> SupportConfig:
    data = {**GOOD, **changes}
    return parse_support_config(
        json.dumps({k: v for k, v in data.items() if v is not None}).encode()
    )


def test_good_config_round_trips() -> None:
    cfg = parsed()
    assert cfg.websocket_url == "wss://support.example.com:443/ws/support"
    assert parse_support_config(encode_support_config(cfg)) == cfg
    plain = parsed(server_url="http://127.0.0.1:8080", server_fingerprint="")
    assert plain.websocket_url == "ws://127.0.0.1:8080/ws/support"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"join_token": None}, "join_token"),
        ({"server_url": None}, "server_url"),
        ({"join_token": "short"}, "join_token"),
        ({"join_token": "x" * 40 + "/.."}, "join_token"),
        ({"server_fingerprint": "AB" * 32}, "server_fingerprint"),
        ({"server_fingerprint": "ab" * 31}, "server_fingerprint"),
        ({"server_fingerprint": ""}, "certificate pin"),
        ({"server_url": "ftp://example.com"}, "server_url"),
        ({"server_url": "https://user:pw@example.com"}, "user name"),
        ({"server_url": "https://example.com/path"}, "scheme://host"),
        ({"portal_name": ""}, "portal_name"),
        ({"extra": "field"}, "extra"),
    ],
)
def test_bad_fields_are_named(changes: dict[str, object], words: str) -> None:
    with pytest.raises(SupportConfigError) as caught:
        parsed(**changes)
    message = str(caught.value)
    assert words in message
    assert "Download the support agent again" in message


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SupportConfigError, match="not valid JSON"):
        parse_support_config(b'{"server_url": "https://x"')
    with pytest.raises(SupportConfigError, match="does not exist"):
        load_support_config(tmp_path / "nope.json")
    path = tmp_path / "config.json"
    path.write_bytes(encode_support_config(parsed()))
    assert load_support_config(path) == parsed()


def test_encode_refuses_an_invalid_struct() -> None:
    # Struct construction skips the Meta constraints; encoding must not.
    bad = SupportConfig(server_url="https://example.com", server_fingerprint="ab" * 32,
                        join_token="no")  # fmt: skip
    with pytest.raises(SupportConfigError, match="join_token"):
        encode_support_config(bad)


def test_cli_entry_reports_a_bad_config(tmp_path: Path) -> None:
    from guruconnect.agent.cli import main

    path = tmp_path / "support.json"
    path.write_text(json.dumps({**GOOD, "join_token": "nope"}))
    assert main(["support", "--config", str(path)]) == 1
    assert main(["support"]) == 2  # --config is required
