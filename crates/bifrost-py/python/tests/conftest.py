"""Fixtures: a pymodbus device (the interop tests' server script) in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

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
