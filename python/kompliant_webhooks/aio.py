"""``AsyncKompliantClient``: the Kompliant API client for asyncio.

Every call runs the blocking :class:`~kompliant_webhooks.KompliantClient` (which releases
the GIL) in a worker thread with :func:`asyncio.to_thread`, so the event loop never waits
on the network. Cancelling an awaiting task does not stop a request already sent: it
completes (or times out) in its thread and the result is dropped.
"""

from __future__ import annotations

import asyncio
import inspect
from datetime import timedelta
from typing import Any, Awaitable, Callable, List, Mapping, Optional, Union

from ._native import (
    ActivatedWebhookKey,
    ApiResponse,
    ApiVersionInfo,
    CreatedWebhookKey,
    KompliantClient,
    RetryPolicy,
    Rotation,
    WebhookConfig,
    WebhookKeyInfo,
)
from ._rotation import check_store, is_async_callable

__all__ = ["AsyncKompliantClient", "AsyncStore"]

Seconds = Union[float, timedelta, None]

#: A rotation's store step: called with the new key id and its secret (base64 text); a
#: plain function (run in a worker thread) or an ``async`` function (awaited on the loop).
AsyncStore = Callable[[str, str], Union[Awaitable[object], object]]


class AsyncKompliantClient:
    """The Kompliant API client for asyncio: the methods of
    :class:`~kompliant_webhooks.KompliantClient`, as coroutines.

    Takes the same arguments as ``KompliantClient`` (or wrap an existing one with
    :meth:`from_client`). Errors are the same ``ApiError`` subclasses.
    """

    __slots__ = ("_client",)

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        auth_token: str,
        *,
        base_url: Optional[str] = None,
        timeout: Seconds = None,
        connect_timeout: Seconds = None,
        max_retries: Optional[int] = None,
        retry_base: Seconds = None,
        retry_max_delay: Seconds = None,
        user_agent: Optional[str] = None,
    ) -> None:
        self._client = KompliantClient(
            api_key,
            secret_key,
            auth_token,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_base=retry_base,
            retry_max_delay=retry_max_delay,
            user_agent=user_agent,
        )

    @classmethod
    def from_client(cls, client: KompliantClient) -> "AsyncKompliantClient":
        """An asyncio client sharing ``client`` (its connection pool and options)."""
        self = cls.__new__(cls)
        self._client = client
        return self

    @classmethod
    def from_env(
        cls,
        *,
        timeout: Seconds = None,
        connect_timeout: Seconds = None,
        max_retries: Optional[int] = None,
        retry_base: Seconds = None,
        retry_max_delay: Seconds = None,
        user_agent: Optional[str] = None,
    ) -> "AsyncKompliantClient":
        """A client configured from ``KOMPLIANT_API_KEY``, ``KOMPLIANT_SECRET_KEY``,
        ``KOMPLIANT_AUTH_TOKEN`` and optionally ``KOMPLIANT_BASE_URL`` (see
        ``KompliantClient.from_env``)."""
        return cls.from_client(
            KompliantClient.from_env(
                timeout=timeout,
                connect_timeout=connect_timeout,
                max_retries=max_retries,
                retry_base=retry_base,
                retry_max_delay=retry_max_delay,
                user_agent=user_agent,
            )
        )

    @property
    def sync_client(self) -> KompliantClient:
        """The blocking client underneath (shares connections with this one)."""
        return self._client

    @property
    def base_url(self) -> str:
        """The base URL calls go to."""
        return self._client.base_url

    @property
    def api_key(self) -> str:
        """The API key (not a secret)."""
        return self._client.api_key

    def __repr__(self) -> str:
        return "Async" + repr(self._client)

    async def create_webhook_key(self, account_id: str) -> CreatedWebhookKey:
        """See ``KompliantClient.create_webhook_key``."""
        return await asyncio.to_thread(self._client.create_webhook_key, account_id)

    async def activate_webhook_key(self, key_id: str) -> ActivatedWebhookKey:
        """See ``KompliantClient.activate_webhook_key``."""
        return await asyncio.to_thread(self._client.activate_webhook_key, key_id)

    async def get_webhook_key(self, key_id: str) -> WebhookKeyInfo:
        """See ``KompliantClient.get_webhook_key``."""
        return await asyncio.to_thread(self._client.get_webhook_key, key_id)

    async def create_webhook_config(self, account_id: str, url: str) -> str:
        """See ``KompliantClient.create_webhook_config``."""
        return await asyncio.to_thread(self._client.create_webhook_config, account_id, url)

    async def get_webhook_config(self, account_id: str, config_id: str) -> WebhookConfig:
        """See ``KompliantClient.get_webhook_config``."""
        return await asyncio.to_thread(self._client.get_webhook_config, account_id, config_id)

    async def list_webhook_configs(self, account_id: str) -> List[WebhookConfig]:
        """See ``KompliantClient.list_webhook_configs``."""
        return await asyncio.to_thread(self._client.list_webhook_configs, account_id)

    async def update_webhook_config(self, account_id: str, config_id: str, url: str) -> None:
        """See ``KompliantClient.update_webhook_config``."""
        await asyncio.to_thread(self._client.update_webhook_config, account_id, config_id, url)

    async def delete_webhook_config(self, account_id: str, config_id: str) -> None:
        """See ``KompliantClient.delete_webhook_config``."""
        await asyncio.to_thread(self._client.delete_webhook_config, account_id, config_id)

    async def check_version(self) -> ApiVersionInfo:
        """See ``KompliantClient.check_version``."""
        return await asyncio.to_thread(self._client.check_version)

    async def call(
        self,
        method: str,
        body: Optional[Mapping[str, Any]] = None,
        *,
        retry: RetryPolicy,
    ) -> ApiResponse:
        """See ``KompliantClient.call`` (extension methods such as the simulator's)."""
        return await asyncio.to_thread(self._client.call, method, body, retry=retry)

    async def rotate_webhook_key(self, account_id: str, store: AsyncStore) -> Rotation:
        """Rotates the account's webhook key: create, ``store``, local probe, activate.

        ``store(key_id, secret_base64)`` must put the secret where receivers load keys from;
        it is the one place this method hands a secret to your code. An ``async`` function
        is awaited on the event loop; a plain function runs in a worker thread (so a slow
        secret manager never blocks the loop); a plain function returning an awaitable has
        it awaited too. A ``store`` that is not callable raises ``TypeError`` before any key
        is created (no daily creation is spent). If ``store`` raises, the key is NOT
        activated and ``StoreFailedError`` is raised, quoting the store's exception with the
        secret and credentials masked, and with that exception (yours, unmasked) as
        ``__cause__``. If the task is cancelled while ``store`` runs, the key is left
        INACTIVE.

        Raises ``TypeError`` (see above), ``DailyKeyLimitError`` and the other create errors,
        ``StoreFailedError``, or an activate error (the key was stored but not activated;
        activating again is safe).
        """
        check_store(store, allow_async=True)  # before the key is created
        pending = await asyncio.to_thread(self._client.start_rotation, account_id)
        key_id = pending.key_id
        try:
            if is_async_callable(store):
                result: object = store(key_id, pending.reveal_secret())
            else:
                result = await asyncio.to_thread(store, key_id, pending.reveal_secret())
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # the store's failure becomes STORE_FAILED
            failure = pending.store_failed(exc)
            raise failure from exc
        return await asyncio.to_thread(pending.finish)

