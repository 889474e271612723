"""bifrost.plc against a real pymodbus device (tests/data/pymodbus_server.py in bifrost-edge)."""

from __future__ import annotations

import asyncio

import pytest

import bifrost
from bifrost.plc import (
    ModbusConnection,
    ModbusConnectionError,
    ModbusError,
    ModbusExceptionError,
    ModbusTimeoutError,
    TagError,
    TagReading,
)


def holding(a: int) -> int:
    return (a * 7) & 0xFFFF


async def test_reads_any_count(server):
    async with ModbusConnection(server.address) as plc:
        values = await plc.read_holding_registers(0, count=1000)
        assert values == [holding(a) for a in range(1000)]
        assert await plc.read_input_registers(5, count=3) == [1005, 1006, 1007]
        coils = await plc.read_coils(0, count=4000)
        assert coils == [a % 3 == 0 for a in range(4000)]
        assert await plc.read_discrete_inputs(0, count=3) == [True, False, True]


async def test_writes_every_function(server):
    async with ModbusConnection(server.address) as plc:
        await plc.write_register(1, 0xBEEF)
        await plc.write_registers(200, list(range(300)))
        await plc.write_coil(1, True)
        await plc.write_coils(10, [True, True, False])
        assert await plc.read_write_registers(1, 2, 2, [5]) == [0xBEEF, 5]
        assert await plc.read_holding_registers(200, count=300) == list(range(300))
        assert await plc.read_coils(9, count=4) == [True, True, True, False]


async def test_tags_round_trip_with_every_conversion(server, tag_file):
    async with ModbusConnection(server.address) as plc:
        assert await plc.write_tag(tag_file, "temp", 21.5) == [0x0000, 0x41AC]  # CDAB
        assert await plc.write_tag(tag_file, "level", -12.3) == [(-123) & 0xFFFF]
        await plc.write_tag(tag_file, "count", 2**40 + 5)
        await plc.write_tag(tag_file, "label", "PLC01")
        await plc.write_tag(tag_file, "pump", False)
        temps = await plc.read_tags(tag_file)
        assert list(temps) == ["temp", "level", "count", "label", "pump", "raw7"]
        assert temps["temp"] == 21.5
        assert temps["level"] == pytest.approx(-12.3)
        assert temps["count"] == 2**40 + 5
        assert temps["label"] == "PLC01"
        assert temps["pump"] is False
        assert temps["raw7"] == 1007
        detailed = await plc.read_tag_readings(tag_file, names=["temp"])
        assert detailed == {"temp": TagReading(21.5, [0x0000, 0x41AC], "°C")}


async def test_exception_responses_carry_the_code(server):
    async with ModbusConnection(server.address) as plc:
        with pytest.raises(ModbusExceptionError) as info:
            await plc.read_holding_registers(995, count=10)
        assert info.value.code == ModbusExceptionError.ILLEGAL_DATA_ADDRESS == 2
        assert info.value.function == 3
        assert "illegal data address" in str(info.value)
        assert isinstance(info.value, ModbusError)
        # The connection is still good.
        assert await plc.read_holding_registers(2, count=1) == [14]


async def test_timeouts_and_lost_devices(server):
    async with ModbusConnection(server.address, timeout=0.5) as plc:
        with pytest.raises(ModbusTimeoutError) as info:
            await plc.read_holding_registers(1500, count=1)  # the server waits 5 s there
        assert isinstance(info.value, TimeoutError)
        assert "raise the timeout" in str(info.value)
    plc = ModbusConnection(server.address, timeout=10)
    await plc.connect()
    read = asyncio.ensure_future(plc.read_holding_registers(1500, count=1))
    await asyncio.sleep(0.5)
    server.kill()  # mid-read
    with pytest.raises(ModbusConnectionError) as lost:
        await read
    assert isinstance(lost.value, ConnectionError)
    await plc.close()


async def test_nothing_listening():
    from conftest import free_port

    plc = ModbusConnection(f"127.0.0.1:{free_port()}", timeout=0.5)
    with pytest.raises(ModbusConnectionError, match="check the address and port"):
        await plc.read_holding_registers(0, count=1)


async def test_many_reads_at_once(server):
    async with ModbusConnection(server.address) as plc:
        results = await asyncio.gather(*(plc.read_holding_registers(a, count=10) for a in range(0, 500, 10)))
        assert results == [[holding(a + i) for i in range(10)] for a in range(0, 500, 10)]


async def test_rtu_framing(rtu_server):
    async with ModbusConnection(f"rtu+tcp://{rtu_server.address}?unit=1") as plc:
        assert await plc.read_holding_registers(7, count=3) == [49, 56, 63]


async def test_bad_input_is_explained(tmp_path, server):
    with pytest.raises(ModbusError, match="HOST:PORT"):
        ModbusConnection("udp://nowhere")
    with pytest.raises(ValueError, match="timeout"):
        ModbusConnection("127.0.0.1:1", timeout=0)
    async with ModbusConnection(server.address) as plc:
        with pytest.raises(ModbusError, match="65535"):
            await plc.read_holding_registers(65535, count=2)
        with pytest.raises(OverflowError):
            await plc.write_register(0, 70000)
        bad = tmp_path / "bad.toml"
        bad.write_text('[[tag]]\nname = "x"\ntable = "coil"\naddress = 1\ntype = "f32"\n', encoding="utf-8")
        with pytest.raises(TagError, match="needs a register table"):
            await plc.read_tags(bad)
        with pytest.raises(TagError, match="cannot read it"):
            await plc.read_tags(tmp_path / "missing.toml")


def test_package_surface():
    assert bifrost.__version__
    assert issubclass(bifrost.ModbusTimeoutError, TimeoutError)
    assert issubclass(bifrost.TagError, ValueError)
    assert repr(ModbusConnection("127.0.0.1:5020")) == "ModbusConnection('127.0.0.1:5020')"
