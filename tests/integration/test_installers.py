"""Server-built Linux installers, every part real: a server process builds the .sh and
the .deb, the .sh runs as its own process (system python3) into a scratch root, the
agent it installed runs from there and appears in the dashboard API, reconfigure and
uninstall go through the installed ``guruconnect-agent`` command, and the email goes to
a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.server import ServerProcess
from tests.support.system import ensure_command, ensure_system_python
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for

TRICKY = {"site": 'Zürich "HQ" \u2013 東京', "department": "R&D\nline two", "tag": "VIP's"}


@pytest.fixture
def inst_server(server_factory: Callable[..., ServerProcess], agent_cache: Path) -> ServerProcess:
    return server_factory(
        "sqlite",
        GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache),
        GURU_INSTALLER_URL_MAX_FAILURES_PER_IP="4",
    )


@pytest.fixture
def system_python() -> None:
    ensure_system_python()


def create(admin: SignedIn, **fields: Any) -> dict[str, Any]:
    body = {"company": "Glaztech Industries", "device_type": "Workstation", **fields}
    r = admin.post("/api/v1/installers", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def public_path(installer: dict[str, Any], kind: str) -> str:
    return str(httpx.URL(installer[f"{kind.replace('.', '_')}_url"]).path)


def audit_actions(server: ServerProcess) -> list[tuple[str, str]]:
    with sqlite3.connect(server.data_dir / "guruconnect.db") as db:
        return list(db.execute("SELECT action, target FROM audit_log ORDER BY id"))


def run_installer(
    script: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(script.parent), "TMPDIR": str(script.parent)}
    return subprocess.run(
        ["sh", str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- API, authorization, URL ----------------------------------------------------------


def test_authorization_csrf_and_company_scope(
    server_factory: Callable[..., ServerProcess], db_kind: str
) -> None:
    """On each database backend."""
    inst_server = server_factory(db_kind)
    admin = sign_in(inst_server)
    made = create(admin, site="Phoenix Office")
    viewer = sign_in(inst_server, role="viewer")
    assert (
        viewer.post("/api/v1/installers", json={"company": "Glaztech Industries"}).status_code
        == 403
    )
    assert viewer.client.get("/api/v1/installers").status_code == 403
    assert viewer.client.get(f"/api/v1/installers/{made['id']}/linux.sh").status_code == 403
    # No CSRF token: refused before anything is created.
    r = admin.client.post("/api/v1/installers", json={"company": "Glaztech Industries"})
    assert r.status_code == 403
    assert len(admin.client.get("/api/v1/installers").json()["installers"]) == 1
    # An administrator of another company neither sees nor uses it.
    other = sign_in(inst_server, companies="Other Co")
    r = other.post("/api/v1/installers", json={"company": "Glaztech Industries"})
    assert r.status_code == 403 and "scope" in r.json()["detail"]
    assert other.client.get("/api/v1/installers").json()["installers"] == []
    assert other.client.get(f"/api/v1/installers/{made['id']}/linux.sh").status_code == 404
    assert other.delete(f"/api/v1/installers/{made['id']}").status_code == 404
    assert (
        other.post(f"/api/v1/installers/{made['id']}/email", json={"to": "a@b.example"}).status_code
        == 404
    )
    # Bad input gets a clear 422.
    r = admin.post("/api/v1/installers", json={"company": "G", "name_mode": "custom"})
    assert r.status_code == 422 and "custom name" in r.text
    assert admin.post("/api/v1/installers", json={"company": "", "site": "x"}).status_code == 422
    assert (
        admin.post("/api/v1/installers", json={"company": "G", "tag": "x" * 257}).status_code == 422
    )
    r = admin.post(
        f"/api/v1/installers/{made['id']}/email", json={"to": "a@b.example\r\nBcc: x@y.example"}
    )
    assert r.status_code == 422


def test_revoked_and_unknown_urls_are_refused_clearly_and_rate_limited(
    inst_server: ServerProcess,
) -> None:
    admin = sign_in(inst_server)
    made = create(admin)
    anonymous = inst_server.client(origin=False)
    assert admin.delete(f"/api/v1/installers/{made['id']}").status_code == 204
    r = anonymous.get(public_path(made, "linux.sh"))
    assert r.status_code == 410 and "revoked" in r.text
    listed = admin.client.get("/api/v1/installers").json()["installers"][0]
    assert listed["revoked"] is True
    assert admin.client.get(f"/api/v1/installers/{made['id']}/linux.sh").status_code == 410
    r = anonymous.get("/install/gci_" + "A" * 43 + "/linux.sh")
    assert r.status_code == 404 and "No installer at this address" in r.text
    assert anonymous.get("/install/anything/linux.sh").status_code == 404
    assert anonymous.get("/install/gci_" + "B" * 43 + "/linux.deb").status_code == 404
    # Four failures from this address (the limit set for this server), then 429.
    r = anonymous.get(public_path(made, "linux.sh"))
    assert r.status_code == 429 and "try again" in r.text and r.headers["retry-after"]
    actions = audit_actions(inst_server)
    assert ("installer.create", f"installer:{made['id']}") in actions
    assert ("installer.revoke", f"installer:{made['id']}") in actions


@pytest.mark.timeout(900)  # the first download builds the cached base (minutes)
def test_email_sends_a_working_link(
    server_factory: Callable[..., ServerProcess], agent_cache: Path
) -> None:
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        server = server_factory(
            "sqlite",
            GURU_SMTP_HOST="127.0.0.1",
            GURU_SMTP_PORT=str(port),
            GURU_SMTP_STARTTLS="false",
            GURU_SMTP_FROM="rmm@msp.example",
            GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache),
        )
        admin = sign_in(server)
        made = create(admin, site="Phoenix Office")
        r = admin.post(
            f"/api/v1/installers/{made['id']}/email",
            json={"to": "it@glaztech.example", "message": "Please install today."},
        )
        assert r.status_code == 200, r.text
    finally:
        smtp.stop()
    assert len(received) == 1
    mail = message_from_bytes(received[0])
    assert mail["To"] == "it@glaztech.example" and mail["From"] == "rmm@msp.example"
    body = mail.get_payload(decode=True).decode()
    assert "Please install today." in body
    links = re.findall(r"https://\S+/install/\S+/linux\.(?:sh|deb)", body)
    assert made["linux_sh_url"] in links and made["linux_deb_url"] in links
    # The link works: what it serves is this installer.
    head = server.client(origin=False).get(str(httpx.URL(made["linux_sh_url"]).path), timeout=600)
    assert head.status_code == 200 and head.content.startswith(b"#!/bin/sh")
    assert ("installer.email", f"installer:{made['id']}") in audit_actions(server)


def test_email_without_smtp_settings_says_so(inst_server: ServerProcess) -> None:
    admin = sign_in(inst_server)
    made = create(admin)
    r = admin.post(f"/api/v1/installers/{made['id']}/email", json={"to": "it@glaztech.example"})
    assert r.status_code == 502 and "not configured" in r.json()["detail"]


# --- the .sh installer, end to end ------------------------------------------------------


@pytest.fixture
def agent_process() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def machine_named(admin: SignedIn, name: str) -> dict[str, Any] | None:
    machines = admin.client.get("/api/v1/machines", params={"q": name}).json()["machines"]
    found = [m for m in machines if m["name"] == name]
    return found[0] if found else None


@pytest.mark.timeout(900)  # the first download builds the cached base (minutes)
def test_sh_installs_enrolls_runs_reconfigures_and_uninstalls(
    inst_server: ServerProcess,
    tmp_path: Path,
    system_python: None,
    agent_process: list[subprocess.Popen[bytes]],
) -> None:
    admin = sign_in(inst_server)
    made = create(admin, name_mode="custom", name='Front Desk "1"', **TRICKY)
    r = inst_server.client(origin=False).get(public_path(made, "linux.sh"), timeout=600)
    assert r.status_code == 200, r.text
    script = tmp_path / "guruconnect-install.sh"
    script.write_bytes(r.content)
    root = tmp_path / "root"
    root.mkdir()

    # Bad arguments: a clear usage error, nothing installed.
    bad = run_installer(script, "--root", str(root), "--prefix", "relative/dir")
    assert bad.returncode == 2 and "must be an absolute path" in bad.stderr
    bad = run_installer(script, "--root", str(root), "--site", "")
    assert bad.returncode == 2 and "must not be empty" in bad.stderr
    assert not (root / "opt").exists()

    done = run_installer(script, "--root", str(root), "--tag", "Override Tag")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "systemd is not running here" in done.stdout
    prefix = root / "opt" / "guruconnect"
    command = prefix / "bin" / "guruconnect-agent"
    config = prefix / "etc" / "agent.json"
    unit = root / "etc" / "systemd" / "system" / "guruconnect-agent.service"
    assert (prefix / "lib" / "guruconnect" / "agent" / "connection.py").is_file()
    assert os.access(command, os.X_OK)
    assert config.stat().st_mode & 0o777 == 0o600
    unit_text = unit.read_text()
    assert "ExecStart=/opt/guruconnect/bin/guruconnect-agent run" in unit_text
    assert "Restart=always" in unit_text and "WantedBy=multi-user.target" in unit_text
    assert (root / "usr" / "local" / "bin" / "guruconnect-agent").is_symlink()

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    agent_process.append(
        subprocess.Popen(
            [str(command), "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    )
    name = 'Front Desk "1"'
    machine = wait_for(
        lambda: (m := machine_named(admin, name)) and m["online"] and m, "online", 60
    )
    assert machine["company"] == "Glaztech Industries"
    assert machine["site"] == TRICKY["site"] and machine["department"] == TRICKY["department"]
    assert machine["tag"] == "Override Tag" and machine["device_type"] == "Workstation"

    # Reconfigure through the installed command: the dashboard sees it at the next check-in.
    done = subprocess.run(
        [str(command), "--reconfigure", "--site", "New York Office", "--tag", "Laptop"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wait_for(
        lambda: (
            (m := machine_named(admin, name))
            and m["site"] == "New York Office"
            and m["tag"] == "Laptop"
        ),
        "the reconfigured site",
        30,
    )
    # Re-running the installer with a flag changes metadata without reinstalling.
    again = run_installer(script, "--root", str(root), "--department", "Accounting")
    assert again.returncode == 0 and "changing metadata only" in again.stdout
    wait_for(
        lambda: (m := machine_named(admin, name)) and m["department"] == "Accounting",
        "the department changed by re-running the installer",
        30,
    )
    assert len(admin.client.get("/api/v1/machines").json()["machines"]) == 1
    bad = subprocess.run(
        [str(command), "--reconfigure"], env=env, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "needs at least one" in bad.stderr

    agent_process[0].send_signal(signal.SIGTERM)
    agent_process[0].wait(15)
    done = subprocess.run(
        [str(command), "--uninstall"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not prefix.exists() and not unit.exists()
    assert not (root / "usr" / "local" / "bin" / "guruconnect-agent").is_symlink()
    assert any(a == "installer.download" for a, _ in audit_actions(inst_server))


@pytest.mark.timeout(900)  # the first download builds the cached base (minutes)
def test_sh_refuses_revoked_and_expired_tokens_and_a_tampered_config(
    inst_server: ServerProcess, tmp_path: Path, system_python: None
) -> None:
    admin = sign_in(inst_server)
    revoked, expired = create(admin), create(admin, expires_in_hours=1)
    scripts = {}
    for label, made in (("revoked", revoked), ("expired", expired)):
        r = admin.client.get(f"/api/v1/installers/{made['id']}/linux.sh", timeout=600)
        assert r.status_code == 200
        scripts[label] = tmp_path / f"{label}.sh"
        scripts[label].write_bytes(r.content)
    assert admin.delete(f"/api/v1/installers/{revoked['id']}").status_code == 204
    with sqlite3.connect(inst_server.data_dir / "guruconnect.db") as db:  # time passes
        db.execute(
            "UPDATE enrollment_tokens SET expires_at = '2000-01-01 00:00:00.000000'"
            " WHERE note LIKE 'installer:%' AND revoked_at IS NULL"
        )
    for label, reason in (("revoked", "revoked"), ("expired", "expired")):
        root = tmp_path / f"root-{label}"
        root.mkdir()
        done = run_installer(scripts[label], "--root", str(root))
        assert done.returncode == 1, done.stdout + done.stderr
        assert "enrollment failed" in done.stderr and reason in done.stderr
        assert not (root / "opt").exists()  # nothing left behind
    # The public URL of the expired one says so too.
    r = inst_server.client(origin=False).get(public_path(expired, "linux.sh"))
    assert r.status_code == 410 and "expired" in r.text

    # Tampering with the baked config line: refused before anything happens.
    data = scripts["expired"].read_bytes()
    start = data.index(b"__GURUCONNECT_PAYLOAD__\n") + len(b"__GURUCONNECT_PAYLOAD__\n")
    end = data.index(b"\n", start)
    import base64
    import json

    envelope = json.loads(data[start:end])
    cfg = json.loads(base64.b64decode(envelope["config"]))
    cfg["company"] = "Someone Else"
    envelope["config"] = base64.b64encode(json.dumps(cfg).encode()).decode()
    tampered = tmp_path / "tampered.sh"
    tampered.write_bytes(data[:start] + json.dumps(envelope).encode() + data[end:])
    root = tmp_path / "root-tampered"
    root.mkdir()
    done = run_installer(tampered, "--root", str(root))
    assert done.returncode == 1 and "signature does not match" in done.stderr
    assert not (root / "opt").exists()


# --- the .deb -----------------------------------------------------------------------------


@pytest.mark.timeout(900)  # the first download builds the cached base (minutes)
def test_deb_contents_scripts_and_install_into_a_scratch_root(
    inst_server: ServerProcess, tmp_path: Path, system_python: None
) -> None:
    dpkg_deb = ensure_command("dpkg-deb", "dpkg")
    admin = sign_in(inst_server)
    made = create(admin, site="Phoenix Office", tag="Critical")
    r = inst_server.client(origin=False).get(public_path(made, "linux.deb"), timeout=600)
    assert r.status_code == 200, r.text
    deb = tmp_path / "guruconnect-agent.deb"
    deb.write_bytes(r.content)

    info = subprocess.run(
        [dpkg_deb, "--info", str(deb)], capture_output=True, text=True, check=True
    )
    assert "Package: guruconnect-agent" in info.stdout and "postinst" in info.stdout
    contents = subprocess.run(
        [dpkg_deb, "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    for path in (
        "./opt/guruconnect/bin/guruconnect-agent",
        "./lib/systemd/system/guruconnect-agent.service",
        "./opt/guruconnect/lib/guruconnect/agent/install/__main__.py",
    ):
        assert path in contents
    control = tmp_path / "control"
    subprocess.run([dpkg_deb, "--control", str(deb), str(control)], check=True)
    postinst = (control / "postinst").read_text()
    assert "guruconnect.agent.install --packaged" in postinst and "DPKG_ROOT" in postinst
    assert os.access(control / "postinst", os.X_OK)

    # dpkg itself installs it into a scratch root and runs the postinst there (chrootless,
    # DPKG_ROOT set), which enrolls against the real server.
    root = tmp_path / "root"
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
        (root / sub).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()

    def dpkg_install() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends",
             "--force-not-root", "--log=/dev/null", "-i", str(deb)],
            capture_output=True, text=True, check=False, timeout=300,
            env={**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )  # fmt: skip

    done = dpkg_install()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "systemd is not running here" in done.stdout
    assert (root / "opt/guruconnect/etc/agent.json").is_file()
    machine = wait_for(lambda: admin.client.get("/api/v1/machines").json()["machines"], "enrolled")[
        0
    ]
    assert (machine["company"], machine["site"], machine["tag"]) == (
        "Glaztech Industries",
        "Phoenix Office",
        "Critical",
    )
    config_before = (root / "opt/guruconnect/etc/agent.json").read_bytes()
    # Installing again (an upgrade) keeps the enrollment: no second machine, same key.
    done = dpkg_install()
    assert done.returncode == 0 and "already installed" in done.stdout, done.stderr
    assert (root / "opt/guruconnect/etc/agent.json").read_bytes() == config_before
    assert len(admin.client.get("/api/v1/machines").json()["machines"]) == 1
    # dpkg -x alone extracts the same files.
    extracted = tmp_path / "x"
    subprocess.run(["dpkg", "-x", str(deb), str(extracted)], check=True)
    assert (extracted / "lib/systemd/system/guruconnect-agent.service").is_file()
    # And removes them again; purge takes the config with the private key.
    done = subprocess.run(
        [
            "dpkg",
            f"--root={root}",
            "--force-script-chrootless",
            "--force-not-root",
            "--log=/dev/null",
            "--purge",
            "guruconnect-agent",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        not (root / "opt/guruconnect/lib").exists() and not (root / "opt/guruconnect/etc").exists()
    )


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    from guruconnect.agent.install.layout import Layout, unit_file

    analyze = ensure_command("systemd-analyze", "systemd")
    layout = Layout(tmp_path)
    unit = tmp_path / "guruconnect-agent.service"
    command = Path(str(layout.command))
    if not command.exists():
        # verify checks ExecStart= is executable; point it at a stand-in of the same shape.
        stand_in = tmp_path / "guruconnect-agent"
        shutil.copy("/bin/true", stand_in)
        text = unit_file(layout).replace(str(layout.command), str(stand_in))
    else:
        text = unit_file(layout)
    unit.write_text(text)
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, check=False
    )
    problems = [line for line in done.stderr.splitlines() if "guruconnect-agent" in line]
    assert done.returncode == 0 and not problems, done.stderr
