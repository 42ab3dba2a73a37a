"""AsyncKompliantClient: every method as a coroutine, rotations with sync and async store
callbacks, and an event loop that keeps running while calls and stores wait."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Awaitable, Callable, List, Tuple, TypeVar

import pytest

import kompliant_webhooks as kw
from kompliant_webhooks import AsyncKompliantClient, RetryPolicy

from conftest import SUCCESS, FakeKompliant, Sim

T = TypeVar("T")


def run_with_ticker(make: Callable[[], Awaitable[T]]) -> Tuple[T, int]:
    """Runs a coroutine next to a 10 ms ticker on one loop; returns its result and how many
    ticks the loop managed meanwhile (a blocked loop manages none)."""

    async def main() -> Tuple[T, int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.ensure_future(ticker())
        try:
            result = await make()
        finally:
            done.set()
            await task
        return result, ticks

    return asyncio.run(main())


def async_client(sim: Sim) -> AsyncKompliantClient:
    return AsyncKompliantClient(
        sim.env["KOMPLIANT_API_KEY"],
        sim.env["KOMPLIANT_SECRET_KEY"],
        sim.env["KOMPLIANT_AUTH_TOKEN"],
        base_url=sim.base_url,
    )


def test_every_method_as_a_coroutine(sim: Sim) -> None:
    client = async_client(sim)
    account = sim.account_id

    async def scenario() -> None:
        created = await client.create_webhook_key(account)
        assert created.status == "INACTIVE"
        activated = await client.activate_webhook_key(created.key_id)
        assert activated.status == "ACTIVE"
        assert (await client.get_webhook_key(created.key_id)).status == "ACTIVE"
        config_id = await client.create_webhook_config(account, "https://example.com/a")
        assert (await client.get_webhook_config(account, config_id)).url == "https://example.com/a"
        await client.update_webhook_config(account, config_id, "https://example.com/b")
        assert [c.url for c in await client.list_webhook_configs(account)] == ["https://example.com/b"]
        await client.delete_webhook_config(account, config_id)
        assert await client.list_webhook_configs(account) == []
        assert (await client.check_version()).current_version == "2025-03-24"
        triggered = await client.call("sim.event.trigger", {"event_type": "WORKFLOW_CREATED"}, retry=RetryPolicy.ONLY_IF_NOT_SENT)
        assert triggered.data["key_id"] == created.key_id
        with pytest.raises(kw.EntityNotFoundError):
            await client.get_webhook_key("whk_20200101_01")
        # Several calls at once, each on its own worker thread.
        infos = await asyncio.gather(*(client.get_webhook_key(created.key_id) for _ in range(8)))
        assert {i.status for i in infos} == {"ACTIVE"}

    asyncio.run(scenario())


def test_construction_and_repr(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    client = async_client(sim)
    assert client.base_url == sim.base_url and client.api_key == sim.env["KOMPLIANT_API_KEY"]
    assert repr(client).startswith("AsyncKompliantClient(")
    assert sim.env["KOMPLIANT_SECRET_KEY"] not in repr(client)
    shared = AsyncKompliantClient.from_client(client.sync_client)
    assert shared.sync_client is client.sync_client
    for name, value in sim.env.items():
        monkeypatch.setenv(name, value)
    from_env = AsyncKompliantClient.from_env(max_retries=0)
    assert asyncio.run(from_env.check_version()).current_version == "2025-03-24"


def test_rotation_with_an_async_store(sim: Sim, tmp_path: Path) -> None:
    client = async_client(sim)
    keys = tmp_path / "keys.json"
    calls: List[str] = []

    async def store(key_id: str, secret: str) -> None:
        calls.append(key_id)
        assert (await client.get_webhook_key(key_id)).status == "INACTIVE"
        await asyncio.sleep(0.2)  # e.g. a secret manager's async SDK
        await asyncio.to_thread(kw.add_to_keyring_file, keys, key_id, secret)

    rotation, ticks = run_with_ticker(lambda: client.rotate_webhook_key(sim.account_id, store))
    assert calls == [rotation.new_key_id]
    assert kw.Keyring.from_file(keys).key_ids() == [rotation.new_key_id]
    assert client.sync_client.get_webhook_key(rotation.new_key_id).status == "ACTIVE"
    assert ticks >= 5  # ~20 expected; a blocked loop manages 1


def test_a_sync_store_runs_off_the_event_loop(sim: Sim, tmp_path: Path) -> None:
    client = async_client(sim)
    threads: List[str] = []

    def store(key_id: str, secret: str) -> None:
        threads.append(threading.current_thread().name)
        time.sleep(0.3)  # a blocking secret manager
        kw.add_to_keyring_file(tmp_path / "keys.json", key_id, secret)

    rotation, ticks = run_with_ticker(lambda: client.rotate_webhook_key(sim.account_id, store))
    assert threads and threads[0] != threading.main_thread().name
    assert ticks >= 5  # the loop kept running during the 0.3 s store (~30 expected)
    assert client.sync_client.get_webhook_key(rotation.new_key_id).status == "ACTIVE"


def test_a_plain_function_returning_a_coroutine_is_awaited(sim: Sim) -> None:
    client = async_client(sim)
    stored: List[str] = []

    async def really_store(key_id: str) -> None:
        stored.append(key_id)

    rotation = asyncio.run(client.rotate_webhook_key(sim.account_id, lambda key_id, secret: really_store(key_id)))
    assert stored == [rotation.new_key_id]


def test_a_failing_async_store_never_activates(sim: Sim) -> None:
    client = async_client(sim)
    seen: List[Tuple[str, str]] = []

    async def store(key_id: str, secret: str) -> None:
        seen.append((key_id, secret))
        raise PermissionError(f"cannot write {secret}")

    with pytest.raises(kw.StoreFailedError) as info:
        asyncio.run(client.rotate_webhook_key(sim.account_id, store))
    (key_id, secret), = seen
    assert isinstance(info.value.__cause__, PermissionError)
    assert key_id in str(info.value) and secret not in str(info.value)
    assert client.sync_client.get_webhook_key(key_id).status == "INACTIVE"


def test_a_store_that_is_not_callable_is_refused_before_any_key_is_created(fake: FakeKompliant) -> None:
    client = AsyncKompliantClient.from_client(fake.client(max_retries=0))
    for store in (None, "keys.json", 42):
        with pytest.raises(TypeError, match="no key was created"):
            asyncio.run(client.rotate_webhook_key("sb_123", store))  # type: ignore[arg-type]
    assert fake.requests == []  # nothing reached the server: no daily creation spent


def test_cancellation_during_store_leaves_the_key_inactive(sim: Sim) -> None:
    client = async_client(sim)
    started: List[str] = []

    async def store(key_id: str, secret: str) -> None:
        started.append(key_id)
        await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.ensure_future(client.rotate_webhook_key(sim.account_id, store))
        while not started:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert client.sync_client.get_webhook_key(started[0]).status == "INACTIVE"


def test_a_slow_call_does_not_block_the_loop(fake: FakeKompliant) -> None:
    fake.answers.append((200, {}, SUCCESS, 0.4))
    client = AsyncKompliantClient.from_client(fake.client(max_retries=0))
    version, ticks = run_with_ticker(client.check_version)
    assert version.latest_version == "2026-01-01"
    assert ticks >= 5  # ~40 expected; a blocked loop manages 1
