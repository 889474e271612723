"""Async Modbus TCP/RTU client for PLCs, backed by Bifrost's Rust engine.

    async with ModbusConnection("127.0.0.1:5020") as plc:
        values = await plc.read_holding_registers(0, count=1000)   # any count: split at 125
        temps = await plc.read_tags("tags.toml")                   # {"boiler.temperature": 21.5, …}

Addresses are 0-based protocol addresses. Device addresses: ``HOST[:PORT]`` (port 502),
``tcp://HOST:PORT?unit=N``, ``rtu+tcp://HOST:PORT?unit=N`` or ``rtu:///dev/ttyUSB0?baud=9600``.
Errors are :mod:`bifrost.errors` classes; a device's exception response raises
:class:`~bifrost.errors.ModbusExceptionError` with its ``code``.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import NamedTuple, Sequence, Union

import asyncio
import weakref
from typing import Any, Callable

from bifrost._bifrost import Bridge as _Bridge
from bifrost._bifrost import Connection as _Connection
from bifrost.errors import (
    ModbusConnectionError,
    ModbusError,
    ModbusExceptionError,
    ModbusTimeoutError,
    TagError,
)

__all__ = [
    "ModbusConnection",
    "TagReading",
    "TagValue",
    "ModbusError",
    "ModbusExceptionError",
    "ModbusTimeoutError",
    "ModbusConnectionError",
    "TagError",
]

TagValue = Union[bool, int, float, str]
PathLike = Union[str, "os.PathLike[str]"]


class _LoopBridge:
    """Resolves this event loop's futures from the native completion queue.

    Requests run on Rust threads that never take the GIL; they queue their outcome in the bridge
    and write one byte to its socket, which wakes this loop (``add_reader``) to resolve every
    future completed since the last wake-up in one batch.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.bridge = _Bridge()
        self.futures: dict[int, asyncio.Future[Any]] = {}
        loop.add_reader(self.bridge.fileno(), self._drain)
        weakref.finalize(self, _remove_reader, weakref.ref(loop), self.bridge.fileno())

    def _drain(self) -> None:
        for request, ok, outcome in self.bridge.drain():
            future = self.futures.pop(request, None)
            if future is None or future.done():
                continue  # cancelled by the caller: the outcome is dropped
            if ok:
                future.set_result(outcome)
            else:
                future.set_exception(outcome)


def _remove_reader(loop_ref: "weakref.ref[asyncio.AbstractEventLoop]", fd: int) -> None:
    loop = loop_ref()
    if loop is not None and not loop.is_closed():
        loop.remove_reader(fd)


_bridges: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopBridge]" = weakref.WeakKeyDictionary()


def _submit(submit: Callable[..., int], *args: Any) -> "asyncio.Future[Any]":
    """Starts a native request and returns the future its outcome will resolve."""
    loop = asyncio.get_running_loop()
    bridge = _bridges.get(loop)
    if bridge is None:
        bridge = _bridges[loop] = _LoopBridge(loop)
    future = loop.create_future()
    bridge.futures[submit(bridge.bridge, *args)] = future
    return future


class TagReading(NamedTuple):
    """One tag as read: the engineering value, the raw registers (or bits) and the unit."""

    value: TagValue
    raw: list[int] | list[bool]
    unit: str | None


class ModbusConnection:
    """A connection to one Modbus device; use it as ``async with``.

    :param address: the device (see the module docs).
    :param timeout: per-request timeout in seconds (also the budget to reconnect).
    :param pipeline: requests in flight at once on the connection. 1 suits every device; more
        only devices that answer bursts of frames (Bifrost's simulator does, pymodbus does not).
    """

    def __init__(self, address: str, *, timeout: float = 3.0, pipeline: int = 1) -> None:
        self._conn = _Connection(address, timeout=timeout, pipeline=pipeline)

    @property
    def address(self) -> str:
        return self._conn.address

    def __repr__(self) -> str:
        return f"ModbusConnection({self.address!r})"

    async def __aenter__(self) -> ModbusConnection:
        await self._conn.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._conn.close()

    async def connect(self) -> None:
        """Connects now (requests otherwise connect, and reconnect, on their own)."""
        await self._conn.connect()

    async def close(self) -> None:
        """Closes the connection; a later request reconnects."""
        await self._conn.close()

    async def read_holding_registers(self, address: int, count: int = 1) -> list[int]:
        """Reads ``count`` holding registers (function 03) from ``address``; any count."""
        return await _submit(self._conn.read_registers, "holding", address, count)

    async def read_input_registers(self, address: int, count: int = 1) -> list[int]:
        """Reads ``count`` input registers (function 04) from ``address``; any count."""
        return await _submit(self._conn.read_registers, "input", address, count)

    async def read_coils(self, address: int, count: int = 1) -> list[bool]:
        """Reads ``count`` coils (function 01) from ``address``; any count."""
        return await _submit(self._conn.read_bits, "coil", address, count)

    async def read_discrete_inputs(self, address: int, count: int = 1) -> list[bool]:
        """Reads ``count`` discrete inputs (function 02) from ``address``; any count."""
        return await _submit(self._conn.read_bits, "discrete", address, count)

    async def write_register(self, address: int, value: int) -> None:
        """Writes one holding register (function 06)."""
        await _submit(self._conn.write_register, address, value)

    async def write_registers(self, address: int, values: Sequence[int]) -> None:
        """Writes holding registers from ``address`` (function 16, split past 123)."""
        await _submit(self._conn.write_registers, address, list(values))

    async def write_coil(self, address: int, value: bool) -> None:
        """Writes one coil (function 05)."""
        await _submit(self._conn.write_coil, address, value)

    async def write_coils(self, address: int, values: Sequence[bool]) -> None:
        """Writes coils from ``address`` (function 15, split past 1968)."""
        await _submit(self._conn.write_coils, address, list(values))

    async def read_write_registers(
        self, read_address: int, read_count: int, write_address: int, values: Sequence[int]
    ) -> list[int]:
        """Writes, then reads, holding registers in one request (function 23)."""
        return await _submit(
            self._conn.read_write_registers, read_address, read_count, write_address, list(values)
        )

    async def read_tags(self, path: PathLike, names: Sequence[str] | None = None) -> dict[str, TagValue]:
        """Reads the tags of a TOML tag file (all, or ``names``) with as few requests as possible.

        Returns ``{name: value}`` in file order; values are converted by each tag's type, byte
        order, scale and offset. Raises for the first tag that cannot be read.
        """
        rows = await _submit(self._conn.read_tags, os.fspath(path), None if names is None else list(names))
        return {name: value for name, value, _raw, _unit in rows}

    async def read_tag_readings(self, path: PathLike, names: Sequence[str] | None = None) -> dict[str, TagReading]:
        """Like :meth:`read_tags`, with each tag's raw registers and unit beside its value."""
        rows = await _submit(self._conn.read_tags, os.fspath(path), None if names is None else list(names))
        return {name: TagReading(value, raw, unit) for name, value, raw, unit in rows}

    async def write_tag(self, path: PathLike, name: str, value: TagValue) -> list[int] | list[bool]:
        """Writes a tag's engineering value; returns the raw registers (or bits) written."""
        return await _submit(self._conn.write_tag, os.fspath(path), name, value)
