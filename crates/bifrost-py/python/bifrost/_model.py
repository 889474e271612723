"""What the generated result classes (:mod:`bifrost.models`) are made of: the :class:`Model`
base, the generic :class:`Listing` page and the decoders that turn the hub's JSON answers into
typed objects. Hand-written; ``_generate.py`` writes the classes that use it.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Dict, Generic, List, Optional, Tuple, Type, TypeVar

T = TypeVar("T")
M = TypeVar("M", bound="Model")

#: Turns one JSON value into its Python form.
Decoder = Callable[[Any], Any]

_FRACTION = re.compile(r"\.(\d+)")


def _dt(text: Any) -> datetime:
    """An RFC 3339 timestamp (``2026-05-01T10:00:00.123456789Z``) as an aware datetime.

    Python 3.9's ``fromisoformat`` reads neither ``Z`` nor more than six fraction digits.
    """
    if isinstance(text, datetime):
        return text
    s = str(text).strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    s = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], s, count=1)
    return datetime.fromisoformat(s)


def _same(value: Any) -> Any:
    return value


def _int(value: Any) -> int:
    return int(value)


def _float(value: Any) -> float:
    return float(value)


def _opt(decode: Decoder) -> Decoder:
    """``None`` stays ``None``; anything else is decoded."""

    def optional(value: Any) -> Any:
        return None if value is None else decode(value)

    return optional


def _list(decode: Decoder) -> Decoder:
    def items(value: Any) -> List[Any]:
        return [decode(v) for v in value]

    return items


def _tuple(*decoders: Decoder) -> Decoder:
    def row(value: Any) -> Tuple[Any, ...]:
        return tuple(d(v) for d, v in zip(decoders, value))

    return row


def _model(cls: "Type[M]") -> Decoder:
    return cls._from_json


def _encode(value: Any) -> Any:
    """A Python value as JSON for the hub: models, datetimes, tuples and lists within."""
    if isinstance(value, Model):
        return value._to_json()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


class Model:
    """Base of every result class: a dataclass read from (and written back to) the hub's JSON.

    Fields unknown to this version of the package (a newer server's) are ignored; a missing
    optional field is ``None``.
    """

    __slots__ = ()

    #: (attribute, JSON key, decoder, required) per field, made by the generated ``_spec``.
    _fields: ClassVar[Optional[Tuple[Tuple[str, str, Decoder, bool], ...]]] = None

    @classmethod
    def _spec(cls) -> Tuple[Tuple[str, str, Decoder, bool], ...]:
        raise NotImplementedError

    @classmethod
    def _from_json(cls: "Type[M]", data: Any) -> M:
        fields = cls.__dict__.get("_fields")
        if fields is None:
            fields = cls._spec()
            cls._fields = fields
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        values = {}
        for attr, key, decode, required in fields:
            if key in data:
                raw = data[key]
                values[attr] = None if raw is None else decode(raw)
            elif required:
                raise ValueError(f"{cls.__name__}: the answer has no `{key}`")
            else:
                values[attr] = None
        return cls(**values)

    def _to_json(self) -> Dict[str, Any]:
        fields = type(self).__dict__.get("_fields") or type(self)._spec()
        out = {}
        for attr, key, _decode, required in fields:
            value = getattr(self, attr)
            if value is None and not required:
                continue
            out[key] = _encode(value)
        return out


@dataclasses.dataclass
class Listing(Generic[T]):
    """One page of a listing: ``items`` and where the page sits (``limit``, ``offset``,
    ``total`` when known). Iterating a listing iterates its items."""

    items: List[T]
    """The items of this page."""
    limit: int
    """The page size asked for."""
    offset: int
    """How many items were skipped."""
    total: Optional[int] = None
    """How many there are in all, when known."""

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    @property
    def has_more(self) -> bool:
        """Whether a following page may hold more items."""
        if self.total is not None:
            return self.offset + len(self.items) < self.total
        return len(self.items) >= self.limit

    @staticmethod
    def of(decode: Decoder) -> Decoder:
        """The decoder of a listing whose items ``decode`` reads."""

        def listing(data: Any) -> "Listing[Any]":
            return Listing(
                items=[decode(v) for v in data["items"]],
                limit=int(data["limit"]),
                offset=int(data["offset"]),
                total=data.get("total"),
            )

        return listing


__all__ = ["Model", "Listing", "Decoder"]
