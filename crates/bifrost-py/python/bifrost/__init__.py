"""Bifrost from Python.

``bifrost.plc`` is a fast asyncio Modbus TCP/RTU client (the Rust engine of ``bifrost edge``):

    from bifrost.plc import ModbusConnection

    async with ModbusConnection("127.0.0.1:5020") as plc:
        values = await plc.read_holding_registers(0, count=1000)
        temps = await plc.read_tags("tags.toml")
"""

from bifrost._bifrost import __version__
from bifrost.errors import (
    ModbusConnectionError,
    ModbusError,
    ModbusExceptionError,
    ModbusTimeoutError,
    TagError,
)

__all__ = [
    "__version__",
    "ModbusError",
    "ModbusExceptionError",
    "ModbusTimeoutError",
    "ModbusConnectionError",
    "TagError",
]
