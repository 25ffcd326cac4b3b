"""File transfer through a real server and a real agent process: browse, upload, download,
conflicts, folders, resume after a cut, permissions, disk errors, and the audit.

The browser's side is played by a protocol client that does exactly what
web/src/files/ does (tests/e2e/test_file_panel.py drives the real page).
"""

from __future__ import annotations

import os
import resource
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from guruconnect.protocol import encode
from guruconnect.protocol.files import (
    Cancel,
    FileError,
    ListDir,
    Listing,
    ListRoots,
    Roots,
    TransferDone,
    UploadBegin,
    UploadReady,
    Walk,
    WalkResult,
)
from tests.support.agents import AgentProcess
from tests.support.files import (
    audit_entries,
    files_agent,
    files_socket,
    make_file,
    recv,
    request,
    sha256_of,
    upload,
)
from tests.support.server import ServerProcess, running_server
from tests.support.users import SignedIn, sign_in

MiB = 1024 * 1024


# One server and one agent for the module: starting them is most of the cost. Each
# test works in its own folder under the agent's single root.
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("files-server")) as server:
        yield server


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> SignedIn:
    return sign_in(server)


@pytest.fixture(scope="module")
def agent_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("agent-root")


@pytest.fixture(scope="module")
def agent(
    server: ServerProcess, admin: SignedIn, tmp_path_factory: pytest.TempPathFactory,
    agent_root: Path,
) -> Iterator[AgentProcess]:  # fmt: skip
    with files_agent(server, admin, tmp_path_factory.mktemp("agent"), [agent_root]) as agent:
        yield agent


@pytest.fixture
def root(agent_root: Path, request: pytest.FixtureRequest) -> Path:
    path = agent_root / request.node.name
    path.mkdir()
    return path


def download(user: SignedIn, machine_id: str, path: str, out: Path, **headers: str) -> int:
    url = f"/api/v1/machines/{machine_id}/files/download"
    with user.client.stream("GET", url, params={"path": path}, headers=headers) as r:
        if r.status_code >= 400:
            r.read()
            return r.status_code
        with out.open("ab" if "range" in headers else "wb") as f:
            for block in r.iter_bytes():
                f.write(block)
        return r.status_code


def test_browse_upload_download_and_audit(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path, tmp_path: Path
) -> None:
    (root / "docs").mkdir()
    (root / "docs" / "a.txt").write_text("hello")
    local = tmp_path / "local.bin"
    digest = make_file(local, 5 * MiB + 123)
    with files_socket(server, admin, agent.agent_id) as ws:
        roots = request(ws, ListRoots(id=1))
        assert isinstance(roots, Roots) and roots.roots[0].path == str(root.parent)
        listing = request(ws, ListDir(id=2, path=str(root)))
        assert isinstance(listing, Listing)
        assert [(e.name, e.kind) for e in listing.entries] == [("docs", "dir")]
        done = upload(ws, local, str(root / "docs" / "big.bin"), request_id=3)
        assert isinstance(done, TransferDone) and done.sha256 == digest, done
    assert sha256_of(root / "docs" / "big.bin") == digest
    assert not (root / "docs" / "big.bin.part").exists()

    out = tmp_path / "down.bin"
    assert download(admin, agent.agent_id, str(root / "docs" / "big.bin"), out) == 200
    assert sha256_of(out) == digest

    uploaded = audit_entries(admin, agent.agent_id, "files.upload")[0]
    assert uploaded["user"] == admin.username
    assert uploaded["details"] | {} == uploaded["details"]
    assert uploaded["details"]["path"] == str(root / "docs" / "big.bin")
    assert uploaded["details"]["size"] == 5 * MiB + 123
    assert uploaded["details"]["sha256"] == digest
    assert uploaded["details"]["outcome"] == "completed"
    downloaded = audit_entries(admin, agent.agent_id, "files.download")[0]
    assert downloaded["details"]["sha256"] == digest
    assert downloaded["details"]["outcome"] == "completed"


def test_conflict_overwrite_rename_skip(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path, tmp_path: Path
) -> None:
    (root / "report.txt").write_text("old")
    local = tmp_path / "report.txt"
    local.write_text("new")
    target = str(root / "report.txt")
    with files_socket(server, admin, agent.agent_id) as ws:
        asked = upload(ws, local, target, request_id=1)
        assert isinstance(asked, FileError) and asked.code == "exists"
        assert asked.existing is not None and asked.existing.size == 3
        renamed = upload(ws, local, target, request_id=2, conflict="rename")
        assert isinstance(renamed, TransferDone)
        assert (root / "report (1).txt").read_text() == "new"
        assert (root / "report.txt").read_text() == "old"
        overwritten = upload(ws, local, target, request_id=3, conflict="overwrite")
        assert isinstance(overwritten, TransferDone)
        assert (root / "report.txt").read_text() == "new"


def test_folder_upload_and_walk(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path, tmp_path: Path
) -> None:
    tree = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deeper/c.bin": os.urandom(3 * MiB)}
    with files_socket(server, admin, agent.agent_id) as ws:
        for n, (rel, data) in enumerate(tree.items()):
            local = tmp_path / f"f{n}"
            local.write_bytes(data)
            done = upload(ws, local, f"{root}/up/{rel}", request_id=n + 1, mkdirs=True)
            assert isinstance(done, TransferDone), done
        walked = request(ws, Walk(id=10, path=str(root / "up")))
        assert isinstance(walked, WalkResult)
        assert {f.rel: f.size for f in walked.files} == {k: len(v) for k, v in tree.items()}
        assert sorted(walked.dirs) == ["sub", "sub/deeper"]
    for rel, data in tree.items():
        out = tmp_path / "dl"
        assert download(admin, agent.agent_id, f"{root}/up/{rel}", out) == 200
        assert out.read_bytes() == data


def test_folder_downloads_as_one_zip(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path, tmp_path: Path
) -> None:
    tree = {
        "a.txt": b"a",
        "sub/b.txt": b"bb",
        "sub/deeper/c.bin": os.urandom(3 * MiB + 7),
        "répertoire/ünï 😀.txt": "ünï".encode(),
    }
    folder = root / "project"
    for rel, data in tree.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    (folder / "empty").mkdir()
    url = f"/api/v1/machines/{agent.agent_id}/files/download-folder"
    out = tmp_path / "project.zip"
    with admin.client.stream("GET", url, params={"path": str(folder)}) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"] == "application/zip"
        assert "project.zip" in r.headers["content-disposition"]
        with out.open("wb") as f:
            for block in r.iter_bytes():
                f.write(block)
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None  # every member's CRC checks
        names = set(archive.namelist())
        assert {f"project/{rel}" for rel in tree} <= names
        assert {"project/empty/", "project/sub/deeper/"} <= names
        for rel, data in tree.items():
            assert archive.read(f"project/{rel}") == data, rel
        assert "project/UNREADABLE.txt" not in names
    entry = audit_entries(admin, agent.agent_id, "files.download")[0]
    assert entry["details"]["via"] == "zip"
    assert entry["details"]["path"] == str(folder)
    assert entry["details"]["size"] == sum(len(v) for v in tree.values())
    assert entry["details"]["bytes"] == entry["details"]["size"]
    assert entry["details"]["outcome"] == "completed"

    # A file, a missing folder and a folder outside the roots are refused clearly.
    for path, code in [(folder / "a.txt", 400), (root / "missing", 404), ("/etc", 400)]:
        r = admin.client.get(url, params={"path": str(path)})
        assert r.status_code == code, (path, r.status_code, r.text)


TRAVERSALS = [
    "{root}/../outside.txt",
    "{root}/..\\outside.txt",
    "{root}/%2e%2e/outside.txt",
    "{root}/%252e%252e/outside.txt",
    "/etc/passwd",
    "{root}/link/secret.txt",
    "{root}/nul\x00.txt",
    "{root}/CON",
    "{root}/com1.txt",
    "relative/path.txt",
]


def test_traversal_attacks_through_the_server(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (tmp_path / "outside.txt").write_text("secret")
    (root / "link").symlink_to(outside)
    local = tmp_path / "payload"
    local.write_text("pwned")
    with files_socket(server, admin, agent.agent_id) as ws:
        for n, pattern in enumerate(TRAVERSALS):
            path = pattern.format(root=root)
            listed = request(ws, ListDir(id=100 + n, path=path))
            assert isinstance(listed, FileError) and listed.code in ("bad_path", "not_found"), (
                path,
                listed,
            )
            sent = upload(ws, local, path, request_id=200 + n, conflict="overwrite")
            assert isinstance(sent, FileError) and sent.code == "bad_path", (path, sent)
            status = download(admin, agent.agent_id, path, tmp_path / "stolen")
            assert status in (400, 404), (path, status)
            folder_url = f"/api/v1/machines/{agent.agent_id}/files/download-folder"
            status = admin.client.get(folder_url, params={"path": path}).status_code
            assert status in (400, 404), (path, status)
    assert (outside / "secret.txt").read_text() == "secret"
    assert (tmp_path / "outside.txt").read_text() == "secret"
    assert not (tmp_path / "stolen").exists()
    assert not list(outside.glob("*.part")) and not list(tmp_path.glob("*.part"))


def test_cancel_removes_the_partial_file(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path, tmp_path: Path
) -> None:
    local = tmp_path / "big"
    make_file(local, 8 * MiB)
    with files_socket(server, admin, agent.agent_id) as ws:
        upload(ws, local, str(root / "big"), request_id=1, stop_at=4 * MiB)
        ws.send(encode(Cancel(id=1)))
        while not isinstance(reply := recv(ws), FileError):
            pass
        assert reply.code == "cancelled"
    assert not (root / "big").exists() and not (root / "big.part").exists()
    entry = audit_entries(admin, agent.agent_id, "files.upload")[0]
    assert entry["details"]["outcome"] == "cancelled"


def test_viewer_role_is_refused_over_http_and_websocket(
    server: ServerProcess, agent: AgentProcess, root: Path
) -> None:
    (root / "x.txt").write_text("x")
    viewer = sign_in(server, role="viewer")
    url = f"/api/v1/machines/{agent.agent_id}/files/download"
    r = viewer.client.get(url, params={"path": str(root / "x.txt")})
    assert r.status_code == 403 and "machines:files" in r.text
    r = viewer.client.get(f"{url}-folder", params={"path": str(root)})
    assert r.status_code == 403 and "machines:files" in r.text
    with pytest.raises(ConnectionClosed) as closed:
        with files_socket(server, viewer, agent.agent_id) as ws:
            ws.send(encode(ListDir(id=1, path=str(root))))
            recv(ws, 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert "refused files socket from " + viewer.username in server.log()


def test_disk_limit_mid_transfer_gives_a_clear_error(
    server: ServerProcess, admin: SignedIn, tmp_path: Path
) -> None:
    """RLIMIT_FSIZE on the agent process stands in for a full disk: the write fails
    mid-file with EFBIG, the technician gets a clear error, and nothing looks complete."""
    limit = 3 * MiB

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    home, root = tmp_path / "agent", tmp_path / "root"
    home.mkdir()
    root.mkdir()
    local = tmp_path / "big"
    make_file(local, 6 * MiB)
    readonly = root / "locked"
    readonly.mkdir()
    with files_agent(server, admin, home, [root], preexec=small_files) as agent:
        with files_socket(server, admin, agent.agent_id) as ws:
            failed = upload(ws, local, str(root / "big"), request_id=1)
            assert isinstance(failed, FileError) and failed.code == "too_large", failed
            assert "big" in failed.message and "kept" in failed.message
            if os.geteuid() != 0:  # root ignores permissions
                readonly.chmod(0o555)
                denied = upload(ws, local, str(readonly / "x"), request_id=2)
                assert isinstance(denied, FileError) and denied.code == "denied", denied
    assert not (root / "big").exists()
    assert (root / "big.part").stat().st_size <= limit
    entry = audit_entries(admin, agent.agent_id, "files.upload")[-1]
    assert entry["details"]["outcome"] == "failed"


def test_upload_begin_for_a_folder_target_is_refused(
    server: ServerProcess, admin: SignedIn, agent: AgentProcess, root: Path
) -> None:
    (root / "dir").mkdir()
    with files_socket(server, admin, agent.agent_id) as ws:
        reply = request(ws, UploadBegin(id=1, path=str(root / "dir"), size=1, conflict="overwrite"))
        assert isinstance(reply, FileError) and reply.code == "not_a_file"
        ok = request(ws, UploadBegin(id=2, path=str(root / "new"), size=0))
        assert isinstance(ok, UploadReady)
