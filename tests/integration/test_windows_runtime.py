"""The Windows runtime builder: real download, real Authenticode checks, real wheels."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from guruconnect.server.installers.windows import (
    AuthenticodeError,
    UnsupportedArchitecture,
    authenticode,
    build_runtime,
    embed,
    runtime,
    runtime_info,
)
from tests.support.wine import WinePrefix


def test_x86_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedArchitecture, match=r"'x86'.*only amd64"):
        build_runtime(tmp_path, "x86")
    assert not any(tmp_path.iterdir())  # refused before any work


def test_runtime_layout(windows_runtime: Path) -> None:
    info = runtime_info(windows_runtime)
    assert info.arch == "amd64" and info.cpython_version == "3.13.2"
    assert {"python.exe", "python313.dll", "libcrypto-3.dll"} <= set(info.verified)
    pth = (windows_runtime / "python313._pth").read_text().splitlines()
    assert pth == ["python313.zip", ".", "Lib\\site-packages", "import site"]
    for name in ("pythonservice.exe", "pywintypes313.dll", "pythoncom313.dll"):
        assert (windows_runtime / name).is_file(), name
    site = windows_runtime / "Lib" / "site-packages"
    for package in ("msgspec", "websockets", "nacl", "psutil", "mss", "win32", "win32com"):
        assert (site / package).is_dir(), package
    assert list(site.glob("msgspec/_core.cp313-win_amd64.pyd"))  # Windows wheels, not Linux
    assert not (site / "Xlib").exists()  # the Linux-only requirement stayed out
    assert (site / "guruconnect" / "agent" / "connection.py").is_file()
    assert (site / "guruconnect" / "protocol").is_dir()
    assert not (site / "guruconnect" / "server").exists()  # never the server


def test_cached_runtime_is_reused(windows_runtime: Path) -> None:
    before = (windows_runtime / runtime.INFO_FILE).stat().st_mtime_ns
    again = build_runtime(windows_runtime.parent, "amd64")
    assert again == windows_runtime
    assert (windows_runtime / runtime.INFO_FILE).stat().st_mtime_ns == before


def _copy_interpreter(windows_runtime: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in ("python.exe", "python313.dll"):
        shutil.copyfile(windows_runtime / name, dest / name)  # real copies, not links
    return dest


def test_tampered_python_exe_is_refused(windows_runtime: Path, tmp_path: Path) -> None:
    interpreter = _copy_interpreter(windows_runtime, tmp_path / "rt")
    source = embed.embed_source("amd64")
    assert runtime._verify_interpreter(interpreter, source)[:2] == ["python.exe", "python313.dll"]
    exe = interpreter / "python.exe"
    data = bytearray(exe.read_bytes())
    data[0x1000] ^= 0xFF  # one byte of code
    exe.write_bytes(bytes(data))
    with pytest.raises(AuthenticodeError, match=r"python\.exe: its contents do not match"):
        runtime._verify_interpreter(interpreter, source)


def test_unsigned_file_is_refused(windows_runtime: Path, tmp_path: Path) -> None:
    interpreter = _copy_interpreter(windows_runtime, tmp_path / "rt")
    (interpreter / "python.exe").write_bytes(b"MZ" + b"\0" * 4096)
    with pytest.raises(AuthenticodeError, match="no Authenticode signature"):
        runtime._verify_interpreter(interpreter, embed.embed_source("amd64"))


def test_an_unpinned_root_is_refused(windows_runtime: Path, tmp_path: Path) -> None:
    """An attacker's root (a self-made CA) in the trust file is never used."""
    key, cert = tmp_path / "k.pem", tmp_path / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=Python Software Foundation"],
        check=True, capture_output=True,
    )  # fmt: skip
    with pytest.raises(AuthenticodeError, match="not pinned"):
        authenticode.verify(windows_runtime / "python.exe", cert)


def test_another_signer_is_refused(windows_runtime: Path, tmp_path: Path) -> None:
    roots = authenticode.pinned_roots(windows_runtime / "python.exe", tmp_path / "roots.pem")
    assert "Python Software Foundation" in authenticode.verify(
        windows_runtime / "python.exe", roots
    )
    with pytest.raises(AuthenticodeError, match="not 'Example Corp'"):
        authenticode.verify(windows_runtime / "python.exe", roots, signer="Example Corp")


def test_runtime_python_starts_under_wine(windows_runtime: Path, wine_session: WinePrefix) -> None:
    code = (
        "import sys, guruconnect.agent.connection, msgspec, websockets, nacl.signing, psutil,"
        " win32api, win32service, win32clipboard; print(sys.version.split()[0], sys.platform)"
    )
    done = wine_session.run_python(windows_runtime, ["-c", code])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == ["3.13.2", "win32"]
