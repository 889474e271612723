"""Exceptions raised by ``bifrost.plc``. Every one is a :class:`ModbusError`."""

from __future__ import annotations


class ModbusError(Exception):
    """Anything that went wrong talking to a Modbus device; the message says what to do."""


class ModbusExceptionError(ModbusError):
    """The device answered with a Modbus exception response.

    ``code`` is the exception code (1 illegal function, 2 illegal data address, 3 illegal
    data value, 4 server device failure, 6 busy, …); ``function`` the request's function code.
    """

    ILLEGAL_FUNCTION = 1
    ILLEGAL_DATA_ADDRESS = 2
    ILLEGAL_DATA_VALUE = 3
    SERVER_DEVICE_FAILURE = 4
    SERVER_DEVICE_BUSY = 6

    def __init__(self, message: str, code: int, function: int) -> None:
        super().__init__(message)
        self.code = code
        self.function = function


class ModbusTimeoutError(ModbusError, TimeoutError):
    """No answer within the request timeout."""


class ModbusConnectionError(ModbusError, ConnectionError):
    """The device could not be reached, or the connection broke during a request."""


class TagError(ModbusError, ValueError):
    """A tag file is invalid, a tag is unknown, or a value does not fit its tag."""
