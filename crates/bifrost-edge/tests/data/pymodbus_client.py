"""pymodbus's async client against Bifrost's simulator serving tests/data/plant.toml.

Reads what the tag file put there, writes with every write function, provokes the simulated
illegal address at holding 1000, and prints one JSON object for the Rust test to check.
Usage: python pymodbus_client.py PORT
"""

import asyncio
import json
import sys

from pymodbus.client import AsyncModbusTcpClient


def ok(response):
    if response.isError():
        raise SystemExit(f"unexpected error response: {response}")
    return response


async def main():
    client = AsyncModbusTcpClient("127.0.0.1", port=int(sys.argv[1]), timeout=10)
    if not await client.connect():
        raise SystemExit("cannot connect to the simulator")
    report = {}
    report["temperature_words"] = ok(await client.read_holding_registers(0, count=2, device_id=1)).registers
    report["name_words"] = ok(await client.read_holding_registers(20, count=4, device_id=1)).registers
    report["pump_on"] = ok(await client.read_coils(5, count=1, device_id=1)).bits[0]
    report["door_closed"] = ok(await client.read_discrete_inputs(1, count=1, device_id=1)).bits[0]
    report["input"] = ok(await client.read_input_registers(100, count=2, device_id=1)).registers
    ok(await client.write_registers(500, [1, 2, 3], device_id=1))
    ok(await client.write_register(510, 0xABCD, device_id=1))
    ok(await client.write_coils(20, [True, False, True], device_id=1))
    ok(await client.write_coil(23, False, device_id=1))
    report["rw"] = ok(
        await client.readwrite_registers(
            read_address=600, read_count=2, write_address=600, values=[7, 8], device_id=1
        )
    ).registers
    refused = await client.read_holding_registers(999, count=2, device_id=1)
    report["exception_code"] = refused.exception_code if refused.isError() else None
    client.close()
    print(json.dumps(report))


asyncio.run(main())
