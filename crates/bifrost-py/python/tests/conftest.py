"""Fixtures: a pymodbus device (the interop tests' server script) in a subprocess, for
``bifrost.plc``; repositories (SQLite, PostgreSQL) and ``bifrost serve`` servers, for
``bifrost.hub``."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

import pytest

SERVER = Path(__file__).resolve().parents[3] / "bifrost-edge" / "tests" / "data" / "pymodbus_server.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, framer: str = "socket") -> None:
        try:
            import pymodbus  # noqa: F401
        except ImportError:
            pytest.fail("these tests need pymodbus 3: pip install 'pymodbus==3.*' (bash .ci/run does)")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(self.port), framer],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            if self.proc.poll() is not None:
                pytest.fail(f"the pymodbus server exited early; run {SERVER} by hand to see why")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("the pymodbus server does not listen")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.kill()


@pytest.fixture
def rtu_server():
    s = Server("rtu")
    yield s
    s.kill()


@pytest.fixture
def tag_file(tmp_path: Path) -> Path:
    path = tmp_path / "tags.toml"
    path.write_text(
        """
[[tag]]
name = "temp"
table = "holding"
address = 100
type = "f32"
byte_order = "CDAB"
unit = "°C"

[[tag]]
name = "level"
table = "holding"
address = 110
type = "i16"
scale = 0.1

[[tag]]
name = "count"
table = "holding"
address = 120
type = "u64"
byte_order = "DCBA"

[[tag]]
name = "label"
table = "holding"
address = 130
type = "string"
length = 3

[[tag]]
name = "pump"
table = "coil"
address = 7
type = "bool"

[[tag]]
name = "raw7"
table = "input"
address = 7
type = "u16"
""",
        encoding="utf-8",
    )
    return path


# -- bifrost.hub ---------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[4]
POSTGRES_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery"


def bifrost_binary() -> Path:
    """The `bifrost` binary the Rust build made: $BIFROST_BIN, else debug/bifrost under
    $CARGO_TARGET_DIR, ~/.cache/bifrost-target or the workspace's target/, else on PATH."""
    given = os.environ.get("BIFROST_BIN")
    if given:
        return Path(given)
    dirs = [os.environ.get("CARGO_TARGET_DIR"), str(Path.home() / ".cache/bifrost-target"), str(REPO_ROOT / "target")]
    for d in dirs:
        if d and (Path(d) / "debug" / "bifrost").is_file():
            return Path(d) / "debug" / "bifrost"
    found = shutil.which("bifrost")
    if found:
        return Path(found)
    pytest.fail("these tests need the bifrost binary: run `cargo build -p bifrost-cli` (or set BIFROST_BIN)")


class BifrostServer:
    """`bifrost serve` over the repository at `root` on a loopback port, until stopped."""

    def __init__(self, root: Path, port: Optional[int] = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root.parent / f"serve-{self.port}.log"
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    def start(self) -> None:
        env = dict(os.environ, BIFROST_REPO=str(self.root), RUST_LOG="warn")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(bifrost_binary()), "-C", str(self.root), "serve", "--listen", f"127.0.0.1:{self.port}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"bifrost serve exited early: {self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail("bifrost serve does not answer /healthz")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def postgres_catalog() -> "tuple[str, str]":
    """A fresh database's URL on the test server ($BIFROST_TEST_POSTGRES_URL names the server
    by one of its databases) and its name; the catalog creates it."""
    base = os.environ.get("BIFROST_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    server = base.rsplit("/", 1)[0]
    name = f"bifrost_py_{secrets.token_hex(6)}"
    return f"{server}/{name}", name


def drop_database(name: str) -> None:
    psql = shutil.which("psql")
    if psql is None:
        return
    base = os.environ.get("BIFROST_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    subprocess.run(
        [psql, base, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def make_repository(path: Path, backend: str) -> "tuple[object, Optional[str]]":
    """A new repository (`sqlite` or `postgres`) opened with full access, and the PostgreSQL
    database to drop afterwards."""
    import bifrost.hub

    if backend == "postgres":
        url, name = postgres_catalog()
        try:
            return bifrost.hub.init(path, catalog=url), name
        except bifrost.hub.HubError as e:
            pytest.fail(f"these tests need PostgreSQL (BIFROST_TEST_POSTGRES_URL, default {POSTGRES_DEFAULT}): {e}")
    return bifrost.hub.init(path), None


def token_for(admin, user: str, role: str, *, member: Optional[str] = None) -> str:
    """Adds `user` with a global `role` (and a membership of project main with role `member`)
    and answers a token of theirs."""
    admin.add_user(name=user, role=role, password=PASSWORD)
    if member:
        admin.set_member(user, member, project="main")
    return admin.create_token(f"{user}-tests", user=user).token


@dataclasses.dataclass
class HubEnv:
    """One backend under test: `hub` is what the tests call (a local repository with full
    access, or a server as `alice`, an admin); `admin` the repository opened locally; `other`
    the server as `bob`, a supervisor of project main (another user)."""

    backend: str
    remote: bool
    catalog: str
    root: Path
    hub: object
    admin: object
    other: object
    server: BifrostServer


#: (local or remote, catalog): a repository opened directly, or a server over it.
BACKENDS = ["sqlite", "postgres", "remote-sqlite", "remote-postgres"]


@pytest.fixture(scope="session", params=BACKENDS)
def env(request, tmp_path_factory) -> Iterator[HubEnv]:
    import bifrost.hub

    backend = request.param
    remote = backend.startswith("remote-")
    catalog = backend.split("-")[-1]
    root = tmp_path_factory.mktemp(f"hub-{backend}") / "repo"
    admin, database = make_repository(root, catalog)
    alice = token_for(admin, "alice", "admin")
    bob = token_for(admin, "bob", "supervisor", member="supervisor")
    server = BifrostServer(root)
    other = bifrost.hub.connect(server.url, token=bob, project="main")
    hub = bifrost.hub.connect(server.url, token=alice, project="main") if remote else admin
    try:
        yield HubEnv(backend, remote, catalog, root, hub, admin, other, server)
    finally:
        server.stop()
        admin.close()
        if database:
            drop_database(database)


@pytest.fixture
def server_repo(tmp_path) -> Iterator["tuple[object, BifrostServer]"]:
    """A fresh SQLite repository (opened locally) with its own server, for tests that stop it."""
    admin, _ = make_repository(tmp_path / "repo", "sqlite")
    server = BifrostServer(tmp_path / "repo")
    try:
        yield admin, server
    finally:
        server.stop()
        admin.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def random_bytes(size: int, seed: int) -> bytes:
    """`size` reproducible pseudo-random bytes (incompressible, so chunks are real)."""
    import random

    return random.Random(seed).randbytes(size)
