"""The Bifrost hub from Python: assets, versions, shots, tasks, reviews, locks and events, on a
local repository or a server, with the same methods.

    import bifrost.hub

    hub = bifrost.hub.open("/studio/repo")                          # SQLite or PostgreSQL
    hub = bifrost.hub.connect("http://hub:8080", token="bft_…")     # a `bifrost serve`

    hub.create_asset("hero", type="prop")
    v = hub.publish("hero", ["./hero/"], note="first", progress=lambda done, total: ...)
    hub.checkout("hero@v1", "/tmp/hero")
    for event in hub.events(after=last_seen):
        ...

Every operation of the hub is a method (generated from the operation table, see
:mod:`bifrost._ops`) answering with the typed classes of :mod:`bifrost.models`; errors are the
:class:`~bifrost.errors.HubError` classes of :mod:`bifrost.errors`. Calls block the calling
thread and release the GIL while they wait; a progress callback runs on the calling thread.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Type, TypeVar, Union

from bifrost import _bifrost
from bifrost._model import Listing, _encode
from bifrost._ops import Operations
from bifrost.errors import (
    AuthError,
    Conflict,
    FieldTypeError,
    HubError,
    InternalError,
    InvalidRequest,
    LockedError,
    NotFound,
    PermissionDenied,
    TooLarge,
    Unavailable,
)
from bifrost.models import Event, Version, VersionDetails

if not hasattr(_bifrost, "_Hub"):  # pragma: no cover - a build without the `hub` feature
    raise ImportError("this build of bifrost has no hub API (cargo feature `hub`)")

__all__ = [
    "Hub",
    "Published",
    "CheckedOut",
    "EventStream",
    "open",
    "init",
    "connect",
    "HubError",
    "InvalidRequest",
    "FieldTypeError",
    "AuthError",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "LockedError",
    "TooLarge",
    "Unavailable",
    "InternalError",
]

PathLike = Union[str, "os.PathLike[str]"]
#: ``progress(done, total)``: units done and the total of the current phase (bytes).
Progress = Callable[[int, int], Any]
T = TypeVar("T")


@dataclasses.dataclass
class Published:
    """What a publish did."""

    version: Version
    """The committed version."""
    bytes_read: int
    """Bytes read from the inputs."""
    new_chunks: int
    """Chunks the hub did not have yet."""
    bytes_stored: int
    """Bytes written to the store (compressed)."""
    bytes_sent: int
    """Request bytes sent to the server (0 for a local repository): only what it lacked."""


@dataclasses.dataclass
class CheckedOut:
    """What a checkout did."""

    version: Version
    """The version materialised."""
    destination: Path
    """Where."""
    files: int
    """Files written."""
    bytes: int
    """Bytes written."""
    cloned: int
    """Files that repeated content already written and were cloned instead."""


class EventStream(Iterator[Event]):
    """The hub's events (journal entries) after an id, oldest first, page by page.

    ``last_id`` is the id to resume from (pass it as ``after`` to a later ``events()``): the id
    of the last event yielded, or the ``after`` given. Without ``follow`` the stream ends when
    no event is left; with it, it waits ``poll`` seconds and asks again, forever.
    """

    def __init__(
        self,
        hub: "Hub",
        after: Optional[int],
        project: Optional[str],
        action: Optional[str],
        follow: bool,
        poll: float,
        page_size: int,
    ) -> None:
        self._hub = hub
        self.last_id = after
        self._project = project
        self._action = action
        self._follow = follow
        self._poll = poll
        self._page_size = page_size
        self._buffer: List[Event] = []

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Event:
        while not self._buffer:
            page = self._hub.list_events(
                after=self.last_id, project=self._project, action=self._action, limit=self._page_size
            )
            self._buffer = list(page.events)
            if not self._buffer:
                if page.last_id is not None:
                    self.last_id = page.last_id
                if not self._follow:
                    raise StopIteration
                time.sleep(self._poll)
        event = self._buffer.pop(0)
        self.last_id = event.id
        return event


class Hub(Operations):
    """A local repository or a server, acting in one project (:attr:`project`).

    Make one with :func:`open`, :func:`init` or :func:`connect`. Besides the table's operations
    (``list_assets``, ``create_shot``, ``set_status``, ``lock``…: see :mod:`bifrost._ops`) a hub
    publishes, checks out and follows events. A hub may be used from several threads at once.
    """

    __slots__ = ("_native",)

    def __init__(self, native: Any) -> None:
        self._native = native

    def __repr__(self) -> str:
        return repr(self._native)

    def __enter__(self) -> "Hub":
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    @property
    def project(self) -> str:
        """The project operations act on when they are given none."""
        return str(self._native.project)

    @property
    def remote(self) -> bool:
        """Whether this is a server (else a local repository)."""
        return bool(self._native.remote)

    @property
    def location(self) -> str:
        """The repository's root directory, or the server's address."""
        return str(self._native.location)

    @property
    def catalog_backend(self) -> Optional[str]:
        """``sqlite`` or ``postgres`` for a local repository; ``None`` for a server."""
        backend = self._native.catalog_backend
        return None if backend is None else str(backend)

    @property
    def bytes_sent(self) -> int:
        """Request bytes sent to the server by this hub so far (0 for a local repository)."""
        return int(self._native.bytes_sent)

    def with_project(self, project: str) -> "Hub":
        """The same hub acting in another project."""
        return Hub(self._native.with_project(project))

    def close(self) -> None:
        """Closes a local repository's catalog connections (nothing for a server)."""
        self._native.close()

    # -- operations ---------------------------------------------------------------------

    def _call(self, op: str, in_project: bool, fields: Dict[str, Any], decode: Callable[[Any], Any]) -> Any:
        sent = {key: _encode(value) for key, value in fields.items() if value is not None}
        if in_project and "project" not in sent:
            sent["project"] = self._native.project
        return decode(self._native.call(op, sent))

    def call(self, op: str, **fields: Any) -> Any:
        """Runs any operation of the table by name (``create_asset`` or ``CreateAsset``) with
        its fields as keywords, and answers its raw JSON (dicts and lists). ``project`` is the
        hub's unless given. The typed methods are usually what you want."""
        sent = {key: _encode(value) for key, value in fields.items()}
        spec = _specs().get(op)
        if spec is not None and spec["in_project"] and sent.get("project") is None:
            sent["project"] = self._native.project
        return self._native.call(op, sent)

    def pages(self, method: Callable[..., Listing[T]], *args: Any, **kwargs: Any) -> Iterator[T]:
        """Every item of a paged listing, following pages to the end::

        for asset in hub.pages(hub.list_assets, type="prop"): ...
        """
        offset = int(kwargs.pop("offset", None) or 0)
        limit = int(kwargs.pop("limit", None) or 1000)
        while True:
            page = method(*args, offset=offset, limit=limit, **kwargs)
            yield from page.items
            offset += len(page.items)
            if not page.items or not page.has_more:
                return

    def log(self, asset: str, *, project: Optional[str] = None) -> List[VersionDetails]:
        """Every version of ``asset``, oldest first (all pages of ``list_versions``)."""
        return list(self.pages(self.list_versions, asset, project=project))

    def events(
        self,
        after: Optional[int] = None,
        *,
        project: Optional[str] = None,
        action: Optional[str] = None,
        follow: bool = False,
        poll: float = 1.0,
        page_size: int = 100,
    ) -> EventStream:
        """The events (journal entries) after the id ``after`` (default: from the first), oldest
        first, of the projects the caller is a member of (``project``: only one; ``action``:
        only actions starting with it, such as ``version.``). Resume later from the stream's
        ``last_id``. With ``follow`` the stream waits for new events instead of ending."""
        return EventStream(self, after, project, action, follow, poll, page_size)

    # -- files --------------------------------------------------------------------------

    def publish(
        self,
        asset: str,
        paths: Union[PathLike, Sequence[PathLike]],
        note: str = "",
        *,
        project: Optional[str] = None,
        progress: Optional[Progress] = None,
    ) -> Published:
        """Publishes files and directories as the next version of ``asset`` (a directory's
        files are stored relative to it). A server is sent only the chunks it lacks.
        ``progress(done, total)`` is called on this thread as bytes are read (and sent); each
        phase (hashing, uploading) counts from 0 to its total."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        answer = self._native.publish(asset, [os.fspath(p) for p in paths], note, project, progress)
        return Published(
            version=Version._from_json(answer["version"]),
            bytes_read=answer["bytes_read"],
            new_chunks=answer["new_chunks"],
            bytes_stored=answer["bytes_stored"],
            bytes_sent=answer["bytes_sent"],
        )

    def checkout(
        self,
        ref: str,
        dest: PathLike,
        *,
        force: bool = False,
        project: Optional[str] = None,
        progress: Optional[Progress] = None,
    ) -> CheckedOut:
        """Materialises a version (``NAME`` for the latest, ``NAME@v3``) into ``dest``. Nothing
        at ``dest`` changes unless every file arrived and verified; existing files are
        overwritten only with ``force``."""
        answer = self._native.checkout(ref, os.fspath(dest), force, project, progress)
        return CheckedOut(
            version=Version._from_json(answer["version"]),
            destination=Path(answer["destination"]),
            files=answer["files"],
            bytes=answer["bytes"],
            cloned=answer["cloned"],
        )


_SPECS: Optional[Dict[str, Dict[str, Any]]] = None


def _specs() -> Dict[str, Dict[str, Any]]:
    """The table's operations by snake and Camel name."""
    global _SPECS
    if _SPECS is None:
        import json

        specs: Dict[str, Dict[str, Any]] = {}
        for spec in json.loads(_bifrost.table()):
            specs[spec["name"]] = spec
            specs[spec["snake_name"]] = spec
        _SPECS = specs
    return _SPECS


def open(path: PathLike = ".", project: Optional[str] = None) -> Hub:  # noqa: A001
    """The repository containing ``path`` (its catalog SQLite or PostgreSQL, as configured),
    acting in ``project`` (default: the repository's current project), with full access as
    the local CLI has."""
    return Hub(_bifrost.open_local(os.fspath(path), project))


def init(path: PathLike, *, catalog: Optional[str] = None, store: Optional[str] = None) -> Hub:
    """Creates a repository in ``path`` and opens it. ``catalog``: a PostgreSQL URL (the
    database is created if missing; default: SQLite inside ``.bifrost``); ``store``: a
    directory or ``s3://bucket/prefix?endpoint=…`` (default: inside ``.bifrost``)."""
    return Hub(_bifrost.init_local(os.fspath(path), catalog, store))


def connect(url: Optional[str] = None, token: Optional[str] = None, project: Optional[str] = None) -> Hub:
    """A server (``bifrost serve``) at ``url``, as the user of ``token``, acting in ``project``.

    Without a token, the login saved by ``bifrost login`` for ``url`` (or for the default
    server) is used; ``project`` defaults to the login's project, else ``main``. Nothing is
    sent until the first call.
    """
    return Hub(_bifrost.connect(url, token, project))
