from __future__ import annotations

import socket
import time
from pathlib import Path

import msgspec

from guruconnect.agent.facts import clean_firmware_string
from guruconnect.agent.facts_linux import cpu_model, install_date
from guruconnect.agent.inventory import (
    _min_idle,
    collect_inventory,
    significant_fingerprint,
)
from guruconnect.protocol import decode_agent, encode


def test_this_machine_is_described_and_fits_the_protocol() -> None:
    inv = collect_inventory("9.9.9", description="test box")
    assert inv.hostname == socket.gethostname()[:256]
    assert inv.cpu_count > 0
    assert inv.ram_total > 0
    assert inv.disks
    assert all(d.total > 0 for d in inv.disks)
    assert all(i.name != "lo" for i in inv.interfaces)
    assert inv.os_type == "linux" and inv.os_name
    assert inv.boot_time is not None and inv.boot_time < time.time()
    assert inv.agent_version == "9.9.9" and inv.description == "test box"
    assert decode_agent(encode(inv)) == inv  # decoding enforces every protocol limit


def test_oversized_description_is_truncated_to_fit() -> None:
    inv = collect_inventory("1", description="x" * 10_000)
    assert decode_agent(encode(inv)) == inv


def test_fingerprint_ignores_fluctuating_values() -> None:
    inv = collect_inventory("1")
    noisy = msgspec.structs.replace(
        inv,
        ram_available=inv.ram_available // 2,
        idle_seconds=inv.idle_seconds + 100,
        disks=[msgspec.structs.replace(d, free=d.free // 2) for d in inv.disks],
    )
    assert significant_fingerprint(noisy) == significant_fingerprint(inv)


def test_fingerprint_sees_real_changes() -> None:
    inv = collect_inventory("1")
    base = significant_fingerprint(inv)
    assert significant_fingerprint(msgspec.structs.replace(inv, hostname="renamed")) != base
    assert significant_fingerprint(msgspec.structs.replace(inv, logged_on_users=["alice"])) != base


def test_idle_time_comes_from_terminal_access_times() -> None:
    # /dev/null always exists; its atime is whatever it is, so only bounds are checked.
    now = time.time()
    idle = _min_idle(now, ["null", "does-not-exist", None, ":0"])
    assert 0 <= idle <= now
    assert _min_idle(now, [None, ":0", "does-not-exist"]) == -1


def test_install_date_uses_the_oldest_plausible_marker(tmp_path: Path) -> None:
    marker = tmp_path / "machine-id"
    marker.write_text("x")
    assert install_date((str(marker), str(tmp_path / "missing"))) == marker.stat().st_ctime
    assert install_date((str(tmp_path / "missing"),)) is None


def test_cpu_model_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Example CPU @ 3GHz\n\nprocessor\t: 1\n")
    assert cpu_model(cpuinfo) == "Example CPU @ 3GHz"
    cpuinfo.write_text("processor\t: 0\nHardware\t: BCM2835\n")
    assert cpu_model(cpuinfo) == "BCM2835"


def test_firmware_placeholders_are_blanked() -> None:
    assert clean_firmware_string("To Be Filled By O.E.M.\n") == ""
    assert clean_firmware_string(" Dell Inc.\n") == "Dell Inc."
