"""The installer's and ``guruconnect-agent``'s command lines: bad arguments get clear
errors, metadata precedence, reconfigure and uninstall on a scratch root (no server)."""

from __future__ import annotations

import base64
import json
from pathlib import Path, PurePosixPath

import pytest
from nacl.signing import SigningKey

from guruconnect.agent.config import AgentConfig, load_config, save_config
from guruconnect.agent.identity import encode_seed, generate_seed
from guruconnect.agent.install import __main__ as installer_main
from guruconnect.agent.install import command
from guruconnect.agent.install.installer import metadata
from guruconnect.agent.install.layout import Layout
from guruconnect.protocol.installer import InstallerConfig, seal

BAKED = InstallerConfig(
    installer_id="i1", server_url="https://127.0.0.1:9", server_fingerprint="ab" * 32,
    enrollment_token="gce_x", company="Glaztech", site="Phoenix", tag="VIP",
    name_mode="custom", name="Desk 1",
)  # fmt: skip


def write_baked(tmp_path: Path, blob: bytes | None = None) -> Path:
    path = tmp_path / "baked.json"
    path.write_bytes(blob if blob is not None else seal(BAKED, SigningKey(b"s" * 32)))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefix", "opt/gc"], "must be an absolute path"),
        (["--prefix", "/"], "dedicated directory"),
        (["--prefix", "/opt"], "dedicated directory"),
        (["--prefix", "/opt/../etc/x"], "dedicated directory"),
        (["--site", ""], "must not be empty"),
        (["--tag", "x" * 257], "at most 256 characters"),
        (["--name", "a\x00b"], "control characters"),
        (["--root", "/nonexistent/dir"], "is not a directory"),
    ],
)
def test_bad_installer_arguments_are_usage_errors(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = installer_main.main(["--baked", str(write_baked(tmp_path)), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_tampered_baked_config_stops_the_installer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob = json.loads(seal(BAKED, SigningKey(b"s" * 32)))
    signature = bytearray(base64.b64decode(blob["signature"]))
    signature[0] ^= 1
    blob["signature"] = base64.b64encode(bytes(signature)).decode()
    baked = write_baked(tmp_path, json.dumps(blob).encode())
    root = tmp_path / "root"
    root.mkdir()
    code = installer_main.main(["--baked", str(baked), "--root", str(root), "--lib-from", "x"])
    assert code == 1
    assert "signature does not match" in capsys.readouterr().err
    assert list(root.iterdir()) == []


def test_reconfigure_and_uninstall_need_an_installation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    baked = str(write_baked(tmp_path))
    assert installer_main.main(["--baked", baked, "--root", str(root), "--reconfigure"]) == 1
    assert "needs at least one of" in capsys.readouterr().err
    code = installer_main.main(
        ["--baked", baked, "--root", str(root), "--reconfigure", "--tag", "x"]
    )
    assert code == 1 and "not installed" in capsys.readouterr().err
    assert installer_main.main(["--baked", baked, "--root", str(root), "--uninstall"]) == 1
    assert "not installed" in capsys.readouterr().err


def test_command_line_values_override_the_baked_ones() -> None:
    assert metadata(BAKED, {"site": "New York Office"}) == {
        "name": "Desk 1", "site": "New York Office", "department": "",
        "device_type": "", "tag": "VIP",
    }  # fmt: skip
    machine_named = InstallerConfig(**{**{f: getattr(BAKED, f) for f in BAKED.__struct_fields__},
                                       "name_mode": "machine"})  # fmt: skip
    assert metadata(machine_named, {})["name"] == ""  # the server uses the host name


def installed(tmp_path: Path) -> tuple[Path, Path]:
    """A config and install record as the installer leaves them, under a scratch root."""
    root = tmp_path / "root"
    layout = Layout(root)
    config = layout.on_disk(layout.config)
    cfg = AgentConfig(server_url="https://127.0.0.1:9", agent_id="a1",
                      private_key=encode_seed(generate_seed()), server_fingerprint="ab" * 32,
                      site="Phoenix", tag="VIP")  # fmt: skip
    save_config(config, cfg)
    layout.on_disk(layout.record).write_text(json.dumps({
        "prefix": str(layout.prefix), "unit": str(layout.unit),
        "written": [str(layout.prefix), str(layout.unit), str(layout.link)],
    }))  # fmt: skip
    unit = layout.on_disk(layout.unit)
    unit.parent.mkdir(parents=True)
    unit.write_text("[Unit]\n")
    return root, config


def test_guruconnect_agent_reconfigure_and_uninstall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, config = installed(tmp_path)
    prefix = root / "opt" / "guruconnect"
    monkeypatch.setenv("GURU_AGENT_PREFIX", str(prefix))
    assert command.main(["--reconfigure"]) == 2
    assert "needs at least one of" in capsys.readouterr().err
    assert (
        command.main(["--reconfigure", "--site", "New York Office", "--name", 'Bob\'s "PC"']) == 0
    )
    cfg = load_config(config)
    assert (cfg.site, cfg.name, cfg.tag) == ("New York Office", 'Bob\'s "PC"', "VIP")
    assert command.main(["--reconfigure", "--uninstall"]) == 2  # one or the other
    assert command._root_of(prefix, prefix / "etc" / "install.json") == root
    assert command.main(["--uninstall"]) == 0
    assert not prefix.exists()
    assert not (root / "etc" / "systemd" / "system" / "guruconnect-agent.service").exists()
    assert (root / "etc").is_dir()  # nothing beyond what the record lists


def test_layout_paths_as_the_system_sees_them(tmp_path: Path) -> None:
    layout = Layout(tmp_path, PurePosixPath("/srv/gc"))
    assert layout.command == PurePosixPath("/srv/gc/bin/guruconnect-agent")
    assert layout.on_disk(layout.config) == tmp_path / "srv/gc/etc/agent.json"
