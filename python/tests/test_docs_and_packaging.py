"""What users see without reading the code: help() text for every public item, and the
installed distribution (abi3 wheel, one version number, typing markers)."""

from __future__ import annotations

import inspect
import pydoc
import re
from importlib import metadata
from pathlib import Path

import pytest

import kompliant_webhooks as kw
from kompliant_webhooks import flask as kw_flask
from kompliant_webhooks import starlette as kw_starlette
from kompliant_webhooks import django as kw_django
from kompliant_webhooks import aio
from kompliant_webhooks import guard as kw_guard
from kompliant_webhooks import postgres as kw_postgres
from kompliant_webhooks import redis as kw_redis

from conftest import REPO

PUBLIC = [name for name in kw.__all__ if name not in {"__version__", "ERROR_CODES", "DEFAULT_MAX_BODY_BYTES", "HANDLER_FAILURE_STATUS", "Event", "AsyncStore"}]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_item_has_a_docstring(name: str) -> None:
    obj = getattr(kw, name)
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if inspect.isclass(obj) and not issubclass(obj, BaseException):
        for member_name, member in vars(obj).items():
            if member_name.startswith("_") or member_name.isupper():
                continue
            assert inspect.getdoc(member), f"{name}.{member_name} has no docstring"


def test_help_shows_the_rust_docs() -> None:
    text = pydoc.render_doc(kw.WebhookReceiver, renderer=pydoc.plaintext)
    assert "Verifies and decrypts webhook bodies" in text
    assert "UnknownKeyError" in text  # decrypt's documented errors
    assert "max_body_bytes" in text
    client_help = pydoc.render_doc(kw.KompliantClient, renderer=pydoc.plaintext)
    assert "rotate_webhook_key" in client_help and "releases the GIL" in client_help
    assert inspect.signature(kw.WebhookReceiver.decrypt).parameters["now"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("module", [kw, aio, kw_flask, kw_starlette, kw_django, kw.errors, kw_guard, kw_redis, kw_postgres])
def test_modules_are_documented(module: object) -> None:
    assert inspect.getdoc(module)
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if callable(obj) and not name[0].isupper() or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"{module}.{name}"


def test_installed_distribution() -> None:
    cargo = (REPO / "Cargo.toml").read_text()
    workspace_version = re.search(r'^\[workspace\.package\][^\[]*?^version = "([^"]+)"', cargo, re.M | re.S)
    assert workspace_version is not None
    assert kw.__version__ == workspace_version.group(1)
    assert metadata.version("kompliant-webhooks") == kw.__version__
    dist = metadata.distribution("kompliant-webhooks")
    wheel = dist.read_text("WHEEL") or ""
    assert re.search(r"^Tag: cp39-abi3-", wheel, re.M), wheel
    installed = Path(kw.__file__).parent
    assert installed != REPO / "python" / "kompliant_webhooks", "tests must run against the installed package"
    for marker in ("py.typed", "_native.pyi"):
        assert (installed / marker).is_file(), marker
    assert list(installed.glob("_native.*.so")) or list(installed.glob("_native*.pyd"))


def test_the_documented_postgres_ddl_is_what_create_table_runs() -> None:
    """docs/python.md prints the PostgreSQL guard's table as the core's DDL: the same text,
    byte for byte, that PostgresGuard.create_table() runs for the default table."""
    docs = (REPO / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)\n```", docs, re.S)
    assert kw_postgres.create_table_sql() in blocks
