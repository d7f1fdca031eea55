#!/usr/bin/python3
"""An independent Modbus peer for the edge agent's tests (Debian python3-pymodbus 3.0).

Serves a fixed register image, encoded here with Python's struct module (not
with Qingliu's code): one unit per word order, each holding one value of
every register type, in holding registers (FC 3) and input registers (FC 4)
alike, at zero-based addresses:

    unit 1 ABCD, unit 2 CDAB, unit 3 BADC, unit 4 DCBA
    0 int16 -12345 | 1 uint16 54321 | 2-3 int32 -123456789 | 4-5 uint32 3123456789
    6-7 float32 123.456 | 8-11 float64 -98765.4321

and in every unit the bits BITS (below) as coils 0-12 (FC 1) and their
complement as discrete inputs 0-12 (FC 2).

Usage:
    pymodbus-server.py tcp <port>              listen on 127.0.0.1:<port>
    pymodbus-server.py rtu <serial device> [baud]   answer Modbus RTU on a serial line
Prints "ready" once it serves (RTU: once the line is open).
"""
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.server.async_io import StartAsyncSerialServer, StartAsyncTcpServer

VALUES = [
    (">h", -12345),
    (">H", 54321),
    (">i", -123456789),
    (">I", 3123456789),
    (">f", 123.456),
    (">d", -98765.4321),
]
ORDERS = {1: "ABCD", 2: "CDAB", 3: "BADC", 4: "DCBA"}
BITS = [1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1]


def words(big_endian: bytes, order: str) -> list:
    pairs = [big_endian[i:i + 2] for i in range(0, len(big_endian), 2)]
    if order in ("CDAB", "DCBA"):
        pairs.reverse()
    if order in ("BADC", "DCBA"):
        pairs = [p[::-1] for p in pairs]
    return [struct.unpack(">H", p)[0] for p in pairs]


def image(order: str) -> list:
    out = []
    for fmt, value in VALUES:
        out += words(struct.pack(fmt, value), order)
    return out


def context() -> ModbusServerContext:
    slaves = {}
    for unit, order in ORDERS.items():
        regs = image(order)
        slaves[unit] = ModbusSlaveContext(
            hr=ModbusSequentialDataBlock(0, regs),
            ir=ModbusSequentialDataBlock(0, regs),
            co=ModbusSequentialDataBlock(0, [bool(b) for b in BITS]),
            di=ModbusSequentialDataBlock(0, [not b for b in BITS]),
            zero_mode=True,
        )
    return ModbusServerContext(slaves=slaves, single=False)


async def main() -> None:
    transport = sys.argv[1]
    if transport == "tcp":
        server = await StartAsyncTcpServer(context=context(), address=("127.0.0.1", int(sys.argv[2])), defer_start=True)
        task = asyncio.create_task(server.serve_forever())
        await asyncio.sleep(0.1)
        print("ready", flush=True)
        await task
    elif transport == "rtu":
        baud = int(sys.argv[3]) if len(sys.argv) > 3 else 9600
        server = await StartAsyncSerialServer(
            context=context(), framer=ModbusRtuFramer, port=sys.argv[2], baudrate=baud, defer_start=True
        )
        await server.start()
        print("ready", flush=True)
        await server.serve_forever()
    else:
        sys.exit(f"unknown transport {transport}; use tcp or rtu")


if __name__ == "__main__":
    asyncio.run(main())
