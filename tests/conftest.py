"""Fixtures are factories that start real things: servers, agents, databases, browsers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.databases import database_url, postgres_base
from tests.support.server import ServerProcess, running_server
from tests.support.system import in_ci
from tests.support.wine import WinePrefix


def backends() -> list[str]:
    kinds = ["sqlite"]
    if postgres_base():
        kinds.append("postgres")
    elif in_ci():
        raise RuntimeError("CI=true needs GURU_TEST_POSTGRES_URL: the suite runs on both databases")
    return kinds


@pytest.fixture(params=backends())
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []
    contexts = []

    def make(kind: str = "sqlite", **extra_env: str) -> ServerProcess:
        data = tmp_path / f"server{len(started)}"
        data.mkdir()
        ctx = database_url(kind, data)
        url = ctx.__enter__()
        contexts.append(ctx)
        server = ServerProcess(data, url, extra_env=extra_env)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.close_clients()
        server.stop()
    for ctx in reversed(contexts):
        ctx.__exit__(None, None, None)


@pytest.fixture(scope="session")
def agent_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One payload cache for the one-time agent and the Linux installers, for the whole
    run: they share the same payload, and building it costs a minute or more of CPU."""
    return tmp_path_factory.mktemp("agent-payload-cache")


@pytest.fixture(scope="session")
def codesign_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One code-signing test certificate for every server of the run: the signed Windows
    bases are keyed on it, so servers sharing it (and agent_cache) build them once."""
    from guruconnect.server.installers.windows import codesign

    signer = codesign.make_test_certificate(tmp_path_factory.mktemp("codesign"))
    return {"GURU_CODESIGN_CERT_FILE": str(signer.cert), "GURU_CODESIGN_KEY_FILE": str(signer.key)}


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    """A server on SQLite, for tests where the database does not matter."""
    return server_factory("sqlite")


@pytest.fixture
def any_db_server(server_factory: Callable[..., ServerProcess], db_kind: str) -> ServerProcess:
    """A server on each database backend in turn."""
    return server_factory(db_kind)


@pytest.fixture(scope="session")
def windows_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Windows runtime (embeddable CPython + agent), built once per test run: the
    build downloads and verifies about 170 MB. GURU_TEST_WINDOWS_CACHE keeps it across
    runs while iterating."""
    from guruconnect.server.installers.windows import build_runtime
    from tests.support.system import ensure_command

    ensure_command("osslsigncode", "osslsigncode")
    ensure_command("openssl", "openssl")
    cache = os.environ.get("GURU_TEST_WINDOWS_CACHE")
    target = Path(cache) if cache else tmp_path_factory.mktemp("windows-runtime-cache")
    return build_runtime(target, "amd64")


@pytest.fixture(scope="session")
def wine_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WinePrefix]:
    """One Wine prefix on one Xvfb display for the whole run (booting one takes ~20 s)."""
    from tests.support.wine import wine_prefix
    from tests.support.xvfb import xvfb

    with xvfb((1280, 800)) as display, wine_prefix(
        tmp_path_factory.mktemp("wine"), display
    ) as prefix:
        yield prefix


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One SQLite server for a whole module (a server start costs seconds of imports),
    for modules whose tests each sign in their own users and make their own objects. A
    module opts in by overriding ``server`` with a module-scoped fixture returning it."""
    with running_server(tmp_path_factory.mktemp("module-server")) as server:
        yield server
