"""Exceptions of the ``bifrost`` package.

``bifrost.plc`` raises :class:`ModbusError` and its subclasses; ``bifrost.hub`` raises
:class:`HubError` and its subclasses, chosen by the error's kind:

=====================  ===================  ==========================================
kind                   exception            e.g. code
=====================  ===================  ==========================================
``invalid``            InvalidRequest       ``invalid``, ``bad_query``, ``bad_request``
``unauthenticated``    AuthError            ``unauthorized``, ``bad_credentials``
``forbidden``          PermissionDenied     ``forbidden``
``not_found``          NotFound             ``asset_not_found``, ``shot_not_found``
``conflict``           Conflict             ``exists``, ``illegal_transition``
``locked``             LockedError          ``locked``
``too_large``          TooLarge             ``chunk_too_large``
``unavailable``        Unavailable          ``busy``, ``rate_limited``, ``sign_in_locked``
``internal``           InternalError        ``internal``, ``store``
=====================  ===================  ==========================================

Fields that do not fit an operation are found before anything is sent: a wrong type, a
missing or an unknown field is a :class:`FieldTypeError` (a ``TypeError``), a value that
cannot be read an :class:`InvalidRequest` (a ``ValueError``); both name the field.
"""

from __future__ import annotations

from typing import Optional


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


# -- bifrost.hub ---------------------------------------------------------------------------


class HubError(Exception):
    """Anything the hub (a local repository or a server) refused or failed to do.

    ``code`` is the stable machine code (``asset_not_found``, ``locked``, ``busy``…), ``kind``
    its broad kind (``not_found``, ``locked``, ``unavailable``…: the subclass says the same),
    ``retryable`` whether the same call may succeed if made again later, ``message`` what went
    wrong. ``field`` names the request field at fault, when one is.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "internal",
        kind: str = "internal",
        retryable: bool = False,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.retryable = retryable
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, retryable={self.retryable})"


class InvalidRequest(HubError, ValueError):
    """The request is malformed or names something impossible (a bad name, an unknown status,
    a value that cannot be read): fix the call."""


class FieldTypeError(HubError, TypeError):
    """A field of the wrong type, a missing one or an unknown one (``field`` names it)."""


class AuthError(HubError):
    """Credentials are missing, wrong, expired or revoked: sign in again."""


class PermissionDenied(HubError):
    """The caller's role or departments do not allow this."""


class NotFound(HubError, LookupError):
    """What the call names does not exist (or is not visible to the caller)."""


class Conflict(HubError):
    """The call clashes with the current state: the name is taken, the workflow does not
    allow the change, others depend on it…"""


class LockedError(Conflict):
    """Another user holds the asset's lock."""


class TooLarge(HubError):
    """The request or one of its parts is too large."""


class Unavailable(HubError):
    """The hub cannot answer now (the server is down or restarting, the catalog is busy, the
    caller sent too many requests or failed to sign in too often); retry later when
    ``retryable``."""


class InternalError(HubError):
    """A fault on the hub's side (I/O, a damaged store or catalog)."""
