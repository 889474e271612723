"""Python side of the Modbus benchmark (bench/modbus.sh): the same measurements as
crates/bifrost-edge/examples/modbus_bench.rs, for Bifrost's Python API or pymodbus's async client.

Usage: python bench/modbus_py.py CLIENT HOST:PORT [ITERATIONS]    CLIENT: bifrost-py | pymodbus
Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

SIZES = (1, 100, 1000)
CONNECTIONS = 100
THROUGHPUT_READS = 200  # per connection, 100 registers each


async def open_client(kind: str, address: str):
    host, port = address.rsplit(":", 1)
    if kind == "bifrost-py":
        from bifrost.plc import ModbusConnection

        conn = ModbusConnection(address, timeout=10)
        await conn.connect()

        async def read(count: int) -> int:
            return len(await conn.read_holding_registers(0, count=count))

        return read
    if kind == "pymodbus":
        from pymodbus.client import AsyncModbusTcpClient

        client = AsyncModbusTcpClient(host, port=int(port), timeout=10)
        if not await client.connect():
            raise SystemExit(f"pymodbus cannot connect to {address}")

        async def read(count: int) -> int:
            # pymodbus reads at most 125 registers per request: split as a user must.
            got = 0
            for start in range(0, count, 125):
                n = min(125, count - start)
                response = await client.read_holding_registers(start, count=n, device_id=1)
                got += len(response.registers)
            return got

        return read
    raise SystemExit(f"unknown client {kind}: use bifrost-py or pymodbus")


def percentile(sorted_times: list[float], p: float) -> float:
    return sorted_times[round((len(sorted_times) - 1) * p)] * 1e6


async def main() -> None:
    kind, address = sys.argv[1], sys.argv[2]
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    read = await open_client(kind, address)
    latency = {}
    for size in SIZES:
        for _ in range(iterations // 10):
            await read(size)
        times = []
        for _ in range(iterations):
            t = time.perf_counter()
            assert await read(size) == size
            times.append(time.perf_counter() - t)
        times.sort()
        latency[str(size)] = {"p50_us": percentile(times, 0.5), "p99_us": percentile(times, 0.99)}
    readers = [await open_client(kind, address) for _ in range(CONNECTIONS)]

    async def loop(r) -> None:
        for _ in range(THROUGHPUT_READS):
            await r(100)

    t = time.perf_counter()
    await asyncio.gather(*(loop(r) for r in readers))
    rate = CONNECTIONS * THROUGHPUT_READS / (time.perf_counter() - t)
    print(json.dumps({"client": kind, "latency": latency, "throughput_reads_per_s": rate, "connections": CONNECTIONS}))


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)  # pymodbus logs deprecations on stderr
    asyncio.run(main())
