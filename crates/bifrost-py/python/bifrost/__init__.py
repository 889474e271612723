"""Bifrost from Python.

``bifrost.hub`` is the asset hub, on a local repository or a server, with the same methods
(typed results in :mod:`bifrost.models`, exceptions in :mod:`bifrost.errors`):

    import bifrost.hub

    hub = bifrost.hub.open(".")                    # or bifrost.hub.connect(url, token=...)
    hub.create_asset("hero", type="prop")
    hub.publish("hero", ["./hero/"], note="first")

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
