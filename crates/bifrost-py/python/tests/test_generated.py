"""What is generated from the operation table: the checked-in ``bifrost/_ops.py`` and
``bifrost/models.py`` must be what ``bifrost/_generate.py`` writes now, the exceptions must
cover every error kind, and a third-party client generated from the served OpenAPI document
(``openapi-python-client``) must work with typed models."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import bifrost.errors
import bifrost.hub
from bifrost import _bifrost, _generate, models
from conftest import token_for

PACKAGE = Path(__file__).resolve().parents[1] / "bifrost"
README = Path(__file__).resolve().parents[4] / "README.md"


def test_the_generated_modules_are_up_to_date() -> None:
    for name, text in _generate.render().items():
        on_disk = (PACKAGE / name).read_text(encoding="utf-8")
        assert on_disk == text, f"bifrost/{name} is stale: run `python -m bifrost._generate` (after `maturin develop`)"


def test_every_operation_of_the_table_is_a_method() -> None:
    table = json.loads(_bifrost.table())
    assert len(table) > 50
    for op in table:
        method = getattr(bifrost.hub.Hub, op["snake_name"], None)
        assert callable(method), op["snake_name"]
        assert op["summary"].split()[0] in (method.__doc__ or ""), op["snake_name"]


def test_every_model_reads_back_what_it_writes() -> None:
    lock = models.AssetLock._from_json(
        {
            "project": "main",
            "asset": "hero",
            "holder": "bob",
            "acquired_at": "2026-05-01T10:00:00.123456789Z",
            "renewed_at": "2026-05-01T10:00:00Z",
            "expires_at": "2026-05-01T11:00:00+00:00",
            "from_a_newer_server": True,
        }
    )
    assert lock.version is None
    assert lock.acquired_at.microsecond == 123456 and lock.acquired_at.utcoffset().total_seconds() == 0
    assert models.AssetLock._from_json(lock._to_json()) == lock
    with pytest.raises(ValueError, match="holder"):
        models.AssetLock._from_json({"project": "main", "asset": "hero"})


def test_every_error_kind_has_its_exception() -> None:
    # The kinds are chosen in Rust by an exhaustive match; every class it names must exist.
    source = (PACKAGE.parents[1] / "src" / "hub" / "errors.rs").read_text(encoding="utf-8")
    mapping = dict(re.findall(r"ErrorKind::(\w+) => \"(\w+)\",", source))
    assert set(mapping) == {
        "Invalid",
        "Unauthenticated",
        "Forbidden",
        "NotFound",
        "Conflict",
        "Locked",
        "TooLarge",
        "Unavailable",
        "Internal",
    }
    for class_name in mapping.values():
        cls = getattr(bifrost.errors, class_name)
        assert issubclass(cls, bifrost.errors.HubError)
        error = cls("message", code="c", kind="k", retryable=True)
        assert (error.message, error.code, error.retryable, str(error)) == ("message", "c", True, "message")
    assert issubclass(bifrost.errors.LockedError, bifrost.errors.Conflict)
    assert issubclass(bifrost.errors.InvalidRequest, ValueError)
    assert issubclass(bifrost.errors.FieldTypeError, TypeError)


def python_block(text: str, section: str) -> str:
    """The first ```python block after the heading `section`."""
    start = text.index(section)
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match, f"no python example under {section}"
    return match.group(1)


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = python_block(README.read_text(encoding="utf-8"), "## Python hub API")
    (tmp_path / "hero").mkdir()
    (tmp_path / "hero" / "hero.usd").write_text("#usda 1.0\n")
    (tmp_path / "hero" / "hero_albedo.exr").write_bytes(b"\0" * 4096)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "hero-v1" / "hero.usd").read_text() == "#usda 1.0\n"


def openapi_python_client() -> str:
    found = shutil.which("openapi-python-client") or shutil.which(
        "openapi-python-client", path=str(Path(sys.executable).parent)
    )
    if not found:
        pytest.fail("this test needs openapi-python-client: pip install openapi-python-client (bash .ci/run does)")
    return found


def test_a_client_generated_from_the_served_openapi_document(tmp_path: Path, server_repo, monkeypatch) -> None:
    admin, server = server_repo
    token = token_for(admin, "gina", "admin")
    admin.create_asset("hero", type="prop")
    admin.create_asset("tree", type="env")
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(f"{server.url}/api/v1/openapi.json", timeout=10) as answer:
        document.write_bytes(answer.read())
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"package_name_override": "bifrost_rest", "post_hooks": []}))
    run = subprocess.run(
        [
            openapi_python_client(),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(tmp_path / "bifrost_rest"),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    complaints = "\n".join(
        line for line in (run.stdout + run.stderr).splitlines() if line.strip() and "errors.pydantic.dev" not in line
    )
    if run.returncode != 0 or not (tmp_path / "bifrost_rest" / "client.py").exists():
        pytest.fail(f"openapi-python-client cannot generate a client from /api/v1/openapi.json:\n{complaints}")

    monkeypatch.syspath_prepend(str(tmp_path))
    rest = importlib.import_module("bifrost_rest")
    list_assets = importlib.import_module("bifrost_rest.api.assets.list_assets")
    create_sequence = importlib.import_module("bifrost_rest.api.production.create_sequence")
    create_shot = importlib.import_module("bifrost_rest.api.production.create_shot")
    bodies = importlib.import_module("bifrost_rest.models")
    client = rest.AuthenticatedClient(base_url=f"{server.url}/api/v1", token=token)

    page = list_assets.sync(project="main", client=client)
    assert not isinstance(page, dict)
    assert type(page).__module__.startswith("bifrost_rest.models"), type(page)
    assert [a.name for a in page.items] == ["hero", "tree"]
    assert all(type(a).__module__.startswith("bifrost_rest.models") for a in page.items)
    assert page.items[0].type_ == "prop"

    create_sequence.sync(project="main", client=client, body=bodies.CreateSequenceBody(name="sq010"))
    shot = create_shot.sync(
        project="main",
        client=client,
        body=bodies.CreateShotBody(sequence="sq010", name="sh010", frame_start=1001, frame_end=1096),
    )
    assert not isinstance(shot, dict)
    assert type(shot).__module__.startswith("bifrost_rest.models"), type(shot)
    assert (shot.sequence, shot.name, shot.frame_start, shot.frame_end) == ("sq010", "sh010", 1001, 1096)
    # And the hub sees it.
    assert admin.get_shot("sq010", "sh010").frame_end == 1096
