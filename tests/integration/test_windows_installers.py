"""Server-built Windows installers, on Linux with the real tools: wixl/msibuild make the
MSI and msiinfo reads it back; makensis makes the EXEs, osslsigncode signs and verifies
them; a real server bakes and serves them; the agent's own reader takes the config out
of a downloaded EXE and enrolls with it against that server.

What runs under Wine (msiexec, the service) is in tests/integration/test_windows_installers_wine.py.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from guruconnect.agent.install.installer import InstallError
from guruconnect.agent.install.windows import from_registry, without_nsis_switches
from guruconnect.agent.support.app import config_from_exe
from guruconnect.protocol.installer import InstallerConfig, open_envelope, seal
from guruconnect.protocol.pe_certtable import read_baked
from guruconnect.server.installers.windows import codesign, layout, msi
from tests.support.guest import create_session, portal_join
from tests.support.server import ServerProcess
from tests.support.system import ensure_command
from tests.support.users import SignedIn, sign_in

KEY = SigningKey(b"w" * 32)
TRICKY_SITE = 'Zürich "HQ" \u2013 東京'


def _tools() -> None:
    ensure_command("wixl", "wixl")
    ensure_command("msiinfo", "msitools")
    ensure_command("msibuild", "msitools")
    ensure_command("makensis", "nsis")
    ensure_command("osslsigncode", "osslsigncode")


def envelope(**fields: str) -> bytes:
    cfg = InstallerConfig(
        installer_id="inst-1",
        server_url="https://rmm.example.com:8443",
        server_fingerprint="ab" * 32,
        enrollment_token="gce_secret",
        company="Glaztech Industries",
        **fields,
    )
    return seal(cfg, KEY)


def table(path: Path, name: str) -> list[list[str]]:
    out = subprocess.run(
        ["msiinfo", "export", str(path), name], capture_output=True, text=True, check=True
    ).stdout
    return [line.split("\t") for line in out.splitlines()[3:]]


def tables(path: Path) -> list[str]:
    out = subprocess.run(
        ["msiinfo", "tables", str(path)], capture_output=True, text=True, check=True
    )
    return sorted(out.stdout.split())


def properties(path: Path) -> dict[str, str]:
    return {row[0]: row[1] for row in table(path, "Property")}


@pytest.fixture(scope="module")
def base_msi(windows_runtime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _tools()
    target = tmp_path_factory.mktemp("msi") / "base.msi"
    return msi.build_base(windows_runtime, target, (1, 2, 3))


# --- the MSI itself ---------------------------------------------------------------------


def test_msi_has_the_service_upgrade_arp_and_secure_properties(base_msi: Path) -> None:
    props = properties(base_msi)
    assert props["ProductVersion"] == "1.2.3"
    assert props["UpgradeCode"] == "{" + layout.UPGRADE_CODE + "}"
    assert props["ARPNOMODIFY"] == "1" and props["ARPNOREPAIR"] == "1"
    assert props[msi.CONFIG_PROPERTY] == msi.PLACEHOLDER
    secure = props["SecureCustomProperties"].split(";")
    assert {"SITE", "TAG", "NAME", "DEPARTMENT", "DEVICE_TYPE"} <= set(secure)
    assert "WIX_UPGRADE_DETECTED" in secure
    # The service: own process, auto start (2), started on install, removed on uninstall.
    (service,) = table(base_msi, "ServiceInstall")
    assert service[1] == layout.SERVICE_NAME and service[3:5] == ["16", "2"]
    controls = {row[0]: row for row in table(base_msi, "ServiceControl")}
    assert {row[1] for row in controls.values()} == {layout.SERVICE_NAME}
    stop, start = int(controls["service_control"][2]), int(controls["service_start"][2])
    assert stop & 0x2 and stop & 0x20 and stop & 0x80  # stop (install, uninstall), remove
    # Started on install without waiting: a service slow to start never rolls back the
    # install (its recovery settings restart it); stopping still waits (files in use).
    assert start == 0x1 and controls["service_start"][4] == "0"
    assert controls["service_control"][4] == "1"
    # MajorUpgrade: an older version is found and removed, a newer one blocks a downgrade.
    upgrade = table(base_msi, "Upgrade")
    assert {row[0] for row in upgrade} == {"{" + layout.UPGRADE_CODE + "}"}
    assert {row[-1] for row in upgrade} == {"WIX_UPGRADE_DETECTED", "WIX_DOWNGRADE_DETECTED"}
    sequence = {row[0]: int(row[2]) for row in table(base_msi, "InstallExecuteSequence")}
    assert "RemoveExistingProducts" in sequence
    # Enroll after the registry values are written and before the service starts (inside
    # the deferred script); forget the key once the service is gone.
    assert sequence["WriteRegistryValues"] < sequence["Enroll"] < sequence["StartServices"]
    assert sequence["DeleteServices"] < sequence["Forget"] < sequence["RemoveFiles"]
    assert sequence["Enroll"] < sequence["InstallFinalize"]
    actions = {row[0]: row for row in table(base_msi, "CustomAction")}
    assert actions["Enroll"][2] == "python_exe" and "--from-registry" in actions["Enroll"][3]
    assert actions["Forget"][3].endswith(" forget")
    # A failed first install forgets the config it enrolled (rollback: 0x100 | in-script).
    rollback = actions["EnrollRollback"]
    assert int(rollback[1]) & 0x500 == 0x500 and rollback[3].endswith(" forget")
    assert sequence["EnrollRollback"] < sequence["Enroll"]
    # The properties the enroll step reads, and where the service finds its config.
    registry = {(row[2], row[3]): row[4] for row in table(base_msi, "Registry")}
    assert registry[(layout_key(), "Site")] == "[SITE]"
    assert registry[(layout_key(), "Config")] == f"[{msi.CONFIG_PROPERTY}]"
    # A service option (pywin32's Parameters key), not the service's environment: Wine's
    # service manager ignores a service's Environment value.
    params = rf"SYSTEM\CurrentControlSet\Services\{layout.SERVICE_NAME}\Parameters"
    assert registry[(params, "config")] == "[CommonAppDataFolder]GuruConnect\\agent.json"
    files = {row[2] for row in table(base_msi, "File")}
    assert {"python.exe", "pythonservice.exe", "guruconnect-agent.cmd"} <= files


def layout_key() -> str:
    return "SOFTWARE\\GuruConnect\\Agent\\"


def test_two_bakes_differ_only_in_the_config(base_msi: Path, tmp_path: Path) -> None:
    one = msi.bake(base_msi, envelope(site="Phoenix"), tmp_path / "one.msi")
    two = msi.bake(base_msi, envelope(site=TRICKY_SITE), tmp_path / "two.msi")
    assert tables(one) == tables(two) == tables(base_msi)
    for name in tables(one):
        if name.startswith("_") or name == "Property":
            continue
        assert table(one, name) == table(two, name) == table(base_msi, name), name
    p1, p2 = properties(one), properties(two)
    assert {k for k in p1 if p1[k] != p2.get(k)} == {msi.CONFIG_PROPERTY}
    assert open_envelope(p1[msi.CONFIG_PROPERTY].encode()).site == "Phoenix"
    assert open_envelope(p2[msi.CONFIG_PROPERTY].encode()).site == TRICKY_SITE
    # Each file is its own package to Windows Installer (a new package code).
    codes = [_package_code(p) for p in (base_msi, one, two)]
    assert len(set(codes)) == 3
    with pytest.raises(ValueError, match="without quotes"):
        msi.bake(base_msi, b'{"a": "it\'s"}', tmp_path / "bad.msi")


def _package_code(path: Path) -> str:
    out = subprocess.run(["msiinfo", "suminfo", str(path)], capture_output=True, text=True)
    return next(line for line in out.stdout.splitlines() if line.startswith("Revision"))


def test_registry_values_as_the_msi_writes_them() -> None:
    """What the enroll custom action gets from HKLM: the baked envelope and overrides."""
    baked = envelope(site="Phoenix", tag="VIP")
    cfg, overrides = from_registry(
        {"Config": baked.decode(), "Site": "New York", "Tag": "", "Name": "  "}
    )
    assert cfg.site == "Phoenix" and overrides == {"site": "New York"}
    with pytest.raises(InstallError, match="carries no config"):
        from_registry({"Config": msi.PLACEHOLDER})
    with pytest.raises(InstallError, match="SITE: must not contain control"):
        from_registry({"Config": baked.decode(), "Site": "a\x07b"})
    forged = json.loads(baked)
    forged["signature"] = forged["signature"][::-1]
    with pytest.raises(InstallError, match="signature"):
        from_registry({"Config": json.dumps(forged)})
    assert without_nsis_switches(["/S", "--site", "X", "/D=C:\\x"]) == ["--site", "X"]


# --- the server bakes and serves them ----------------------------------------------------


@pytest.fixture
def win_server(
    server_factory: Callable[..., ServerProcess],
    agent_cache: Path,
    windows_runtime: Path,
    codesign_env: dict[str, str],
) -> ServerProcess:
    _tools()
    return server_factory(
        "sqlite",
        GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache),
        GURU_WINDOWS_RUNTIME_DIR=str(windows_runtime),
        **codesign_env,
    )


def cert_of(server: ServerProcess) -> Path:
    return Path(server.env["GURU_CODESIGN_CERT_FILE"])


def create(admin: SignedIn, **fields: Any) -> dict[str, Any]:
    body = {"company": "Glaztech Industries", "device_type": "Workstation", **fields}
    r = admin.post("/api/v1/installers", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def server_key(server: ServerProcess) -> bytes:
    return bytes(SigningKey((server.data_dir / "installer-signing.key").read_bytes()).verify_key)


@pytest.mark.timeout(1800)  # the first Windows download builds the bases (minutes)
def test_server_bakes_signed_exe_and_msi_per_request(
    win_server: ServerProcess, tmp_path: Path
) -> None:
    admin = sign_in(win_server)
    made = create(admin, site=TRICKY_SITE, tag="VIP's")
    assert made["windows_exe_url"].endswith("/windows.exe")
    r = admin.client.get(f"/api/v1/installers/{made['id']}/windows.exe", timeout=1500)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].endswith('filename="guruconnect-agent-setup.exe"')
    exe = tmp_path / "setup.exe"
    exe.write_bytes(r.content)
    # Signed with the configured (test) certificate, and still valid after baking.
    result = codesign.verify(exe, cert_of(win_server))
    assert result.returncode == 0 and "Signature verification: ok" in result.stdout, result
    cfg = open_envelope(read_baked(io.BytesIO(r.content)), trusted_key=server_key(win_server))
    assert cfg.company == "Glaztech Industries" and cfg.site == TRICKY_SITE
    assert cfg.tag == "VIP's" and cfg.server_url == win_server.url

    # The MSI through the public URL (no sign-in), its config in the property.
    anonymous = win_server.client(origin=False)
    r = anonymous.get(str(httpx.URL(made["windows_msi_url"]).path), timeout=1500)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-msi"
    msi_file = tmp_path / "agent.msi"
    msi_file.write_bytes(r.content)
    baked = properties(msi_file)[msi.CONFIG_PROPERTY]
    assert open_envelope(baked.encode(), trusted_key=server_key(win_server)) == cfg
    # Signed after baking; a changed property breaks the signature.
    result = codesign.verify(msi_file, cert_of(win_server))
    assert result.returncode == 0 and "Signature verification: ok" in result.stdout, result
    tampered = tmp_path / "tampered.msi"
    tampered.write_bytes(msi_file.read_bytes())
    subprocess.run(["msibuild", str(tampered), "-q", "UPDATE `Property` SET `Value` = 'Evil' "
                    "WHERE `Property` = 'ARPCOMMENTS'"], check=True)  # fmt: skip
    assert codesign.verify(tampered, cert_of(win_server)).returncode != 0

    # A second installer: a different config in the same signed stub.
    other = create(admin, site="Phoenix")
    r2 = admin.client.get(f"/api/v1/installers/{other['id']}/windows.exe", timeout=1500)
    assert r2.status_code == 200 and r2.content != r.content
    assert open_envelope(read_baked(io.BytesIO(r2.content))).site == "Phoenix"

    with sqlite3.connect(win_server.data_dir / "guruconnect.db") as db:
        rows = list(db.execute("SELECT action, target, details FROM audit_log ORDER BY id"))
    kinds = [
        json.loads(d)["kind"] for a, t, d in rows
        if a == "installer.download" and t == f"installer:{made['id']}"
    ]  # fmt: skip
    assert kinds == ["windows.exe", "windows.msi"]
    r = anonymous.get(str(httpx.URL(made["url"]).path) + "windows.zip")
    assert r.status_code == 404 and "windows.msi" in r.text


@pytest.mark.timeout(1800)
def test_agent_enrolls_from_the_downloaded_exe_and_reconfigures(
    win_server: ServerProcess, tmp_path: Path
) -> None:
    """The Windows enroll step (platform-neutral Python) run here against the server:
    config out of the EXE's certificate table, overrides from the command line."""
    admin = sign_in(win_server)
    made = create(admin, name_mode="custom", name="Front Desk", site="Phoenix", tag="VIP")
    r = admin.client.get(f"/api/v1/installers/{made['id']}/windows.exe", timeout=1500)
    exe = tmp_path / "guruconnect-agent-setup.exe"
    exe.write_bytes(r.content)
    config = tmp_path / "ProgramData" / "GuruConnect" / "agent.json"

    def agent(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "guruconnect.agent.install.windows", *args, "--config",
             str(config)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    # Bad input: a clear usage error, nothing written.
    bad = agent("install", "--from-exe", str(exe), "--site", "")
    assert bad.returncode == 2 and "must not be empty" in bad.stderr and not config.exists()
    # NSIS passes its own /S through: ignored.
    done = agent("install", "--from-exe", str(exe), "/S", "--tag", "Laptop")
    assert done.returncode == 0, done.stderr
    saved = json.loads(config.read_text())
    assert saved["company"] == "Glaztech Industries" and saved["site"] == "Phoenix"
    assert saved["tag"] == "Laptop" and saved["name"] == "Front Desk"
    machines = admin.client.get("/api/v1/machines").json()["machines"]
    assert [(m["name"], m["site"], m["tag"]) for m in machines] == [
        ("Front Desk", "Phoenix", "Laptop")
    ]
    # The EXE re-run with a flag (or guruconnect-agent --reconfigure): metadata only.
    again = agent("install", "--from-exe", str(exe), "--site", "New York Office")
    assert again.returncode == 0 and "updated" in again.stdout
    assert json.loads(config.read_text())["site"] == "New York Office"
    assert len(admin.client.get("/api/v1/machines").json()["machines"]) == 1
    bad = agent("--reconfigure")
    assert bad.returncode == 2 and "needs at least one" in bad.stderr
    # A tampered EXE (config changed after the server signed it) is refused.
    data = bytearray(r.content)
    at = data.index(b'"config":"') + len(b'"config":"') + 5
    data[at] = ord("A") if data[at] != ord("A") else ord("B")
    exe.write_bytes(bytes(data))
    config.unlink()
    refused = agent("install", "--from-exe", str(exe))
    assert refused.returncode == 1 and not config.exists()
    assert "baked config" in refused.stderr
    # Uninstall forgets the key.
    config.write_text("{}")
    assert agent("forget").returncode == 0 and not config.parent.exists()


@pytest.mark.timeout(1800)
def test_revoked_installer_exe_gives_a_clear_enrollment_error(
    win_server: ServerProcess, tmp_path: Path
) -> None:
    admin = sign_in(win_server)
    made = create(admin)
    r = admin.client.get(f"/api/v1/installers/{made['id']}/windows.exe", timeout=1500)
    exe = tmp_path / "setup.exe"
    exe.write_bytes(r.content)
    assert admin.delete(f"/api/v1/installers/{made['id']}").status_code == 204
    done = subprocess.run(
        [sys.executable, "-m", "guruconnect.agent.install.windows", "install", "--from-exe",
         str(exe), "--config", str(tmp_path / "agent.json")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "enrollment failed" in done.stderr
    assert "revoked" in done.stderr.lower()
    assert not (tmp_path / "agent.json").exists()
    assert admin.client.get(f"/api/v1/installers/{made['id']}/windows.msi").status_code == 410


@pytest.mark.timeout(1800)
def test_portal_offers_the_windows_one_time_agent(
    win_server: ServerProcess, tmp_path: Path
) -> None:
    tech = sign_in(win_server, "technician")
    made = create_session(tech)
    token = portal_join(win_server, str(made["code"]))
    anonymous = win_server.client(origin=False)
    r = anonymous.get(f"/portal/agent/{token}/windows", timeout=1500)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].endswith('filename="guruconnect-support.exe"')
    exe = tmp_path / "guruconnect-support.exe"
    exe.write_bytes(r.content)
    assert codesign.verify(exe, cert_of(win_server)).returncode == 0
    cfg = config_from_exe(exe)
    assert cfg.join_token == token and cfg.server_url == win_server.url
    assert cfg.server_fingerprint
    assert anonymous.get("/portal/agent/" + "x" * 43 + "/windows").status_code == 404


def test_the_support_exe_leaves_out_what_a_one_time_agent_never_uses(tmp_path: Path) -> None:
    import zipfile

    from guruconnect.server.installers.windows import support_tree

    runtime = tmp_path / "runtime"
    keep = ["python.exe", "pythonw.exe", "Lib/site-packages/PIL/_imaging.cp313-win_amd64.pyd",
            "Lib/site-packages/win32/win32gui.pyd",
            "Lib/site-packages/mss/__init__.py"]  # fmt: skip
    drop = ["pythonservice.exe", "Lib/site-packages/PyWin32.chm",
            "Lib/site-packages/pythonwin/x.dll", "Lib/site-packages/numpy/__init__.py",
            "Lib/site-packages/numpy.libs/x.dll", "Lib/site-packages/av/__init__.py",
            "Lib/site-packages/av.libs/avcodec.dll", "Lib/site-packages/win32com/x.py",
            "Lib/site-packages/psutil/tests/t.py", "python.cat",
            "Lib/site-packages/numpy-2.4.6.dist-info/METADATA",
            "Lib/site-packages/PIL/_avif.cp313-win_amd64.pyd"]  # fmt: skip
    for name in keep + drop:
        (runtime / name).parent.mkdir(parents=True, exist_ok=True)
        (runtime / name).write_text(name)
    stdlib = {"asyncio/__init__.pyc": b"a" * 500, "ssl.pyc": b"s" * 500,
              "unittest/case.pyc": b"u", "pydoc.pyc": b"p",
              "pydoc_data/topics.pyc": b"t"}  # fmt: skip
    with zipfile.ZipFile(runtime / "python313.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in stdlib.items():
            z.writestr(name, data)
    shipped_zip = (runtime / "python313.zip").read_bytes()
    tree = support_tree.support_tree(runtime, tmp_path / "support")
    assert all((tree / name).read_text() == name for name in keep)
    assert not any((tree / name).exists() for name in drop)
    with zipfile.ZipFile(tree / "python313.zip") as z:
        assert sorted(z.namelist()) == ["asyncio/__init__.pyc", "ssl.pyc"]
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}  # for LZMA
        assert z.read("ssl.pyc") == stdlib["ssl.pyc"]
    # The shared runtime is untouched (the tree is hard links; the zip was replaced).
    assert (runtime / drop[0]).exists()
    assert (runtime / "python313.zip").read_bytes() == shipped_zip
