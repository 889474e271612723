"""A pymodbus device for Bifrost's interop tests (pymodbus 3.16, SimDevice API).

Layout (all addresses 0-based, as on the wire):
  holding 0..999 and 1010..1999: value = (address * 7) & 0xFFFF; 1000..1009 undefined, so
          pymodbus answers exception 02 (illegal data address) for any read touching them.
  input   0..199: value = 1000 + address
  coils   0..3999: address % 3 == 0
  discrete 0..1999: address % 2 == 0
  A read of holding register 1500 (alone or in a range) waits 5 s before answering: the
  "server killed mid-read" test kills the process during that wait.

Usage: python pymodbus_server.py PORT [socket|rtu]
"""

import asyncio
import sys

from pymodbus import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

SLOW_ADDRESS = 1500


async def action(function_code, start_address, address, count, current_registers, set_values):
    del start_address, current_registers, set_values
    if function_code in (3, 23) and address <= SLOW_ADDRESS < address + count:
        await asyncio.sleep(5)
    return None


def registers(start, values):
    return SimData(address=start, values=values, datatype=DataType.REGISTERS)


async def main():
    port = int(sys.argv[1])
    framer = FramerType.RTU if len(sys.argv) > 2 and sys.argv[2] == "rtu" else FramerType.SOCKET
    coils = [SimData(address=0, values=[a % 3 == 0 for a in range(4000)], datatype=DataType.BITS)]
    discrete = [SimData(address=0, values=[a % 2 == 0 for a in range(2000)], datatype=DataType.BITS)]
    holding = [
        registers(0, [(a * 7) & 0xFFFF for a in range(0, 1000)]),
        registers(1010, [(a * 7) & 0xFFFF for a in range(1010, 2000)]),
    ]
    inputs = [registers(0, [1000 + a for a in range(200)])]
    device = SimDevice(id=0, simdata=(coils, discrete, holding, inputs), action=action)
    server = ModbusTcpServer(device, framer=framer, address=("127.0.0.1", port))
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
