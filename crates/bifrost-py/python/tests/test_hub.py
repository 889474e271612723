"""bifrost.hub against every backend: a local repository on SQLite and on PostgreSQL, and a
server (`bifrost serve`) over each — the same calls, the same typed results, the same
exceptions."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest

import bifrost.hub
from bifrost import models
from bifrost.errors import (
    AuthError,
    Conflict,
    FieldTypeError,
    HubError,
    InvalidRequest,
    LockedError,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from bifrost.hub import CheckedOut, Hub, Published
from conftest import BifrostServer, HubEnv, free_port, random_bytes, token_for, unique


def tree_digest(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.blake2b(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_assets_are_listed_created_read_changed_and_deleted(env: HubEnv) -> None:
    hub = env.hub
    name = unique("prop")
    created = hub.create_asset(name, type="prop", tags=["kit", "hero"], metadata={"poly": 1200})
    assert isinstance(created, models.Asset)
    assert (created.name, created.type, created.tags, created.project) == (name, "prop", ["hero", "kit"], "main")
    assert created.created_at.tzinfo is not None

    page = hub.list_assets(type="prop", limit=1000)
    assert isinstance(page, models.Listing)
    assert name in [a.name for a in page]
    assert all(isinstance(a, models.Asset) for a in page.items)
    assert name in [a.name for a in hub.pages(hub.list_assets, type="prop")]

    got = hub.get_asset(name)
    assert isinstance(got, models.AssetWithStatus)
    assert (got.status, got.metadata, got.latest_version) == ("wtg", {"poly": 1200}, None)

    assert hub.update_asset(name, {"poly": 900, "rig": "v2"}) == {"poly": 900, "rig": "v2"}
    assert hub.get_asset(name).metadata == {"poly": 900, "rig": "v2"}

    deleted = hub.delete_asset(name)
    assert isinstance(deleted, models.DeletedAsset)
    with pytest.raises(NotFound):
        hub.get_asset(name)
    assert "main" in [p.name for p in hub.list_projects()]


def test_publish_and_checkout_give_back_identical_bytes(env: HubEnv, tmp_path: Path) -> None:
    hub = env.hub
    name = unique("set")
    hub.create_asset(name)
    src = tmp_path / "src"
    (src / "tex").mkdir(parents=True)
    (src / "scene.usd").write_bytes(random_bytes(3_000_000, 1))
    (src / "tex" / "albedo.exr").write_bytes(random_bytes(700_000, 2))
    (src / "notes.txt").write_text("first cut\n")
    seen = []
    published = hub.publish(name, src, note="first", progress=lambda done, total: seen.append((done, total)))
    assert isinstance(published, Published)
    assert isinstance(published.version, models.Version)
    assert (published.version.number, published.version.file_count, published.bytes_read) == (1, 3, 3_700_010)
    assert seen and seen[-1][0] == seen[-1][1], "the last progress call says the phase is done"
    assert all(0 <= done <= total for done, total in seen)

    out = tmp_path / "out"
    checked = hub.checkout(f"{name}@v1", out)
    assert isinstance(checked, CheckedOut)
    assert (checked.files, checked.bytes, checked.destination) == (3, 3_700_010, out)
    assert tree_digest(out) == tree_digest(src)

    # A second version; the latest by name; an existing destination needs force.
    (src / "notes.txt").write_text("second cut\n")
    assert hub.publish(name, [src], note="second").version.number == 2
    with pytest.raises(Conflict) as refused:
        hub.checkout(name, out)
    assert refused.value.code == "exists"
    assert hub.checkout(name, out, force=True).version.number == 2
    assert (out / "notes.txt").read_text() == "second cut\n"

    log = hub.log(name)
    assert [v.version.number for v in log] == [1, 2]
    assert all(isinstance(v, models.VersionDetails) for v in log)
    assert [v.version.note for v in log] == ["first", "second"]
    diff = hub.diff(name, from_=1, to="latest")
    assert isinstance(diff, models.VersionDiff)
    assert [c.path for c in diff.changed] == ["notes.txt"]
    files = hub.list_files(name, "v1")
    assert sorted(f.path for f in files) == ["notes.txt", "scene.usd", "tex/albedo.exr"]


def test_a_remote_publish_sends_only_what_the_server_lacks(env: HubEnv, tmp_path: Path) -> None:
    if not env.remote:
        assert env.hub.bytes_sent == 0
        return
    hub = env.hub
    name = unique("cache")
    hub.create_asset(name)
    data = bytearray(random_bytes(8_000_000, 3))
    path = tmp_path / "cache.bin"
    path.write_bytes(bytes(data))
    first = hub.publish(name, path)
    assert first.bytes_sent >= 8_000_000
    data[4_000_000:4_000_100] = b"x" * 100  # one chunk changes
    path.write_bytes(bytes(data))
    second = hub.publish(name, path)
    assert second.version.number == 2
    assert second.bytes_sent < 2_500_000, f"sent {second.bytes_sent} bytes for a 100-byte change"
    assert 0 < second.new_chunks <= 3
    out = tmp_path / "out"
    hub.checkout(f"{name}@v2", out)
    assert (out / "cache.bin").read_bytes() == bytes(data)


def test_shots_and_status_changes(env: HubEnv) -> None:
    hub = env.hub
    seq = unique("sq")
    sequence = hub.create_sequence(seq)
    assert isinstance(sequence, models.Sequence)
    shot = hub.create_shot(sequence=seq, name="sh010", frame_start=1001, frame_end=1096, fps=24.0)
    assert isinstance(shot, models.Shot)
    assert (shot.sequence, shot.name, shot.frame_start, shot.frame_end, shot.fps, shot.status) == (
        seq,
        "sh010",
        1001,
        1096,
        24.0,
        "wtg",
    )
    hub.create_shot(sequence=seq, name="sh020", frame_start=1, frame_end=48)
    shots = hub.list_shots(sequence=seq)
    assert [s.name for s in shots] == ["sh010", "sh020"]
    assert all(isinstance(s, models.Shot) for s in shots)

    entity = f"{seq}/sh010"
    status = hub.get_status(entity)
    assert isinstance(status, models.EntityStatus) and status.status == "wtg"
    change = hub.set_status(entity=entity, status="ip")
    assert isinstance(change, models.HistoryEntry)
    assert (change.old, change.new) == ("wtg", "ip")
    assert hub.get_shot(seq, "sh010").status == "ip"
    with pytest.raises(Conflict) as illegal:
        hub.set_status(entity=entity, status="final")
    assert illegal.value.code == "illegal_transition"

    workflow = hub.get_workflow()
    assert isinstance(workflow, models.Workflow)
    assert workflow.statuses[0] == "wtg"
    assert all(isinstance(t, models.Transition) for t in workflow.transitions)

    # Tasks, links, comments and review on the way.
    task = hub.create_task(entity=entity, department=hub.list_departments()[0], assignee="alice")
    assert isinstance(task, models.Task)
    asset = unique("chair")
    hub.create_asset(asset)
    link = hub.create_link(src=entity, dst=asset)
    assert isinstance(link, models.Link)
    assert [d.entity for d in hub.deps(entity)] == [asset]
    assert [d.entity for d in hub.used_by(asset)] == [entity]
    comment = hub.add_comment(target=entity, body="needs more fog")
    assert isinstance(comment, models.Comment)
    assert [c.body for c in hub.list_comments(entity)] == ["needs more fog"]
    hits = hub.search(seq)
    assert all(isinstance(h, models.SearchHit) for h in hits)
    assert {(h.kind, h.name) for h in hits} >= {("sequence", seq), ("shot", entity)}


def published_asset(hub: Hub, tmp_path: Path, prefix: str) -> "tuple[str, Path]":
    """A new asset with one version of one small file, and that file."""
    name = unique(prefix)
    hub.create_asset(name)
    path = tmp_path / f"{prefix}.txt"
    path.write_text(prefix)
    hub.publish(name, path)
    return name, path


def test_review_and_locks(env: HubEnv, tmp_path: Path) -> None:
    hub = env.hub
    name, _ = published_asset(hub, tmp_path, "rig")
    review = hub.review_version(name, 1, "approved")
    assert isinstance(review, models.HistoryEntry) and review.new == "approved"
    assert hub.get_version(name, "latest").review_status == "approved"

    assert hub.get_lock(name) is None
    lock = hub.lock(name, ttl_seconds=600)
    assert isinstance(lock, models.AssetLock)
    assert hub.heartbeat(name).expires_at >= lock.expires_at
    assert name in [l.asset for l in hub.list_locks()]
    assert isinstance(hub.get_lock(name), models.AssetLock)
    assert hub.unlock(name).asset == name
    assert hub.get_lock(name) is None


def test_a_lock_held_by_another_user_is_a_locked_error(env: HubEnv, tmp_path: Path) -> None:
    hub = env.hub
    name, path = published_asset(hub, tmp_path, "env")
    env.other.lock(name)  # bob, through the server
    try:
        with pytest.raises(LockedError) as locked:
            hub.publish(name, path, note="mine")
        assert isinstance(locked.value, Conflict) and isinstance(locked.value, HubError)
        assert (locked.value.code, locked.value.kind, locked.value.retryable) == ("locked", "locked", False)
        assert "bob" in locked.value.message
        with pytest.raises(LockedError):
            hub.lock(name)
    finally:
        env.other.unlock(name)
    assert hub.publish(name, path, note="mine").version.number == 2


def test_an_unknown_asset_is_not_found(env: HubEnv) -> None:
    with pytest.raises(NotFound) as missing:
        env.hub.get_asset("no-such-asset")
    assert missing.value.code == "asset_not_found"
    assert missing.value.kind == "not_found"
    assert not missing.value.retryable
    assert "no-such-asset" in str(missing.value)
    with pytest.raises(NotFound):
        env.hub.checkout("no-such-asset@v1", "/nonexistent/dest")
    with pytest.raises(NotFound) as project:
        env.hub.list_assets(project="no-such-project")
    assert project.value.code == "project_not_found"


def test_wrong_types_and_unknown_fields_name_the_field(env: HubEnv) -> None:
    hub = env.hub
    with pytest.raises(TypeError) as wrong:
        hub.create_asset(7)
    assert isinstance(wrong.value, FieldTypeError)
    assert wrong.value.field == "name" and "`name`" in str(wrong.value)
    with pytest.raises(TypeError) as wrong:
        hub.create_asset("x", tags="not-a-list")
    assert wrong.value.field == "tags"
    with pytest.raises(TypeError) as wrong:
        hub.create_shot(sequence="sq", name="sh", frame_start="one", frame_end=2)
    assert wrong.value.field == "frame_start"
    with pytest.raises(TypeError) as wrong:
        hub.create_asset("x", metadata={"when": object()})
    assert "metadata.when" in str(wrong.value)
    with pytest.raises(TypeError) as unknown:
        hub.create_asset("x", colour="red")  # type: ignore[call-arg]
    assert "colour" in str(unknown.value)
    with pytest.raises(TypeError) as unknown:
        hub.call("create_asset", name="x", colour="red")
    assert unknown.value.field == "colour"
    with pytest.raises(TypeError) as missing:
        hub.call("create_asset", tags=[])
    assert missing.value.field == "name"
    with pytest.raises(ValueError) as bad:
        hub.get_version("anything", "v0")
    assert isinstance(bad.value, InvalidRequest)
    assert bad.value.field == "version"
    with pytest.raises(ValueError) as bad:
        hub.review_version("anything", 1, "splendid")
    assert bad.value.field == "status"
    with pytest.raises(ValueError):
        hub.call("fly_to_the_moon")
    with pytest.raises(ValueError):
        hub.checkout("not a reference@@", "/tmp/x")
    # Refused by the hub itself (a name it cannot store): the same ValueError family.
    with pytest.raises(InvalidRequest) as invalid:
        hub.create_asset("bad name/with slash")
    assert invalid.value.kind == "invalid"


def test_events_resume_from_an_id(env: HubEnv) -> None:
    hub = env.hub
    start = hub.events()
    for _ in start:
        pass
    mark = start.last_id
    names = [unique("ev") for _ in range(5)]
    for name in names:
        hub.create_asset(name)

    stream = hub.events(after=mark, action="asset.created", page_size=2)
    first = [next(stream), next(stream)]
    assert all(isinstance(e, models.Event) for e in first)
    assert [e.entity for e in first] == names[:2]
    resume = stream.last_id
    assert resume == first[-1].id

    rest = list(hub.events(after=resume, action="asset.created"))
    assert [e.entity for e in rest] == names[2:]
    assert all(e.id > resume for e in rest)
    assert [e.action for e in rest] == ["asset.created"] * 3
    ended = hub.events(after=rest[-1].id)
    assert list(ended) == [] and ended.last_id == rest[-1].id


def test_the_gil_is_released_and_progress_runs_on_the_calling_thread(env: HubEnv, tmp_path: Path) -> None:
    hub = env.hub
    name = unique("big")
    hub.create_asset(name)
    big = tmp_path / "big.bin"
    big.write_bytes(random_bytes(48_000_000, 4))
    progress_threads = []
    caller = []
    done = threading.Event()

    def publish() -> None:
        try:
            caller.append(threading.get_ident())
            hub.publish(name, big, progress=lambda d, t: progress_threads.append(threading.get_ident()))
        finally:
            done.set()

    worker = threading.Thread(target=publish)
    started = time.monotonic()
    worker.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    elapsed = time.monotonic() - started
    assert progress_threads, "a publish of 48 MB reports progress"
    assert set(progress_threads) == set(caller), "progress runs on the thread that called"
    # This thread kept running while the publish waited (it sleeps 1 ms per tick).
    assert ticks > min(50, elapsed * 1000 / 4), (ticks, elapsed)


def test_a_server_that_is_down_is_unavailable_and_retryable() -> None:
    hub = bifrost.hub.connect(f"http://127.0.0.1:{free_port()}", token="bft_nobody_nothing")
    started = time.monotonic()
    with pytest.raises(Unavailable) as down:
        hub.list_assets()
    assert down.value.retryable
    assert down.value.code == "unreachable"
    assert down.value.kind == "unavailable"
    assert time.monotonic() - started < 20


def test_a_server_that_restarts_mid_session_is_retried(server_repo) -> None:
    admin, server = server_repo
    token = token_for(admin, "carol", "admin")
    hub = bifrost.hub.connect(server.url, token=token)
    hub.create_asset("before")
    server.stop()
    restart = threading.Timer(0.3, server.start)
    restart.start()
    try:
        assert [a.name for a in hub.list_assets()] == ["before"]
    finally:
        restart.join()


def test_a_token_revoked_mid_session_is_an_auth_error(server_repo) -> None:
    admin, server = server_repo
    token = token_for(admin, "dave", "artist", member="artist")
    hub = bifrost.hub.connect(server.url, token=token, project="main")
    assert hub.me().user.name == "dave"
    hub.create_asset("props")
    [info] = [t for t in admin.list_tokens(user="dave")]
    revoked = admin.revoke_token(info.id)
    assert isinstance(revoked, models.TokenInfo) and revoked.revoked_at is not None
    with pytest.raises(AuthError) as refused:
        hub.list_assets()
    assert (refused.value.code, refused.value.kind, refused.value.retryable) == (
        "unauthorized",
        "unauthenticated",
        False,
    )


def test_a_role_without_the_right_is_permission_denied(server_repo) -> None:
    admin, server = server_repo
    token = token_for(admin, "erin", "vendor", member="vendor")
    hub = bifrost.hub.connect(server.url, token=token)
    assert [a.name for a in hub.list_assets()] == []
    with pytest.raises(PermissionDenied) as refused:
        hub.create_asset("nope")
    assert refused.value.code == "forbidden"
    # A project they are not a member of is not found, exactly like a missing one.
    admin.create_project("elsewhere")
    with pytest.raises(NotFound) as hidden:
        hub.list_assets(project="elsewhere")
    assert hidden.value.code == "project_not_found"


def test_hubs_act_in_their_project_unless_told(env: HubEnv) -> None:
    project = unique("proj")
    env.admin.create_project(project)  # alice (remote) is an admin: she sees every project
    hub = env.hub
    name = unique("p")
    hub.create_asset(name, project=project)
    assert [a.name for a in hub.list_assets(project=project)] == [name]
    there = hub.with_project(project)
    assert there.project == project and hub.project == "main"
    assert [a.name for a in there.list_assets()] == [name]
    assert name not in [a.name for a in hub.pages(hub.list_assets)]


def test_open_finds_the_repository_from_inside_it(env: HubEnv, tmp_path: Path) -> None:
    if env.remote:
        return
    inner = env.root / "some" / "dir"
    inner.mkdir(parents=True, exist_ok=True)
    with bifrost.hub.open(inner) as hub:
        assert isinstance(hub, Hub)
        assert hub.location == str(env.root.resolve())
        assert hub.catalog_backend == env.catalog
        assert not hub.remote
    with pytest.raises(NotFound):
        bifrost.hub.open(tmp_path)
