"""The check of a rotation's ``store`` argument, shared by ``KompliantClient`` (the native
module calls it) and ``AsyncKompliantClient``: it runs BEFORE the new key is created, so a
wrong argument never spends one of the account's 100 daily key creations."""

from __future__ import annotations

import inspect


def is_async_callable(obj: object) -> bool:
    """Whether calling ``obj`` returns a coroutine (an ``async def`` function or method, a
    ``functools.partial`` of one, or an object whose ``__call__`` is one)."""
    while hasattr(obj, "func") and callable(obj):  # functools.partial
        obj = getattr(obj, "func")
    return inspect.iscoroutinefunction(obj) or inspect.iscoroutinefunction(
        getattr(obj, "__call__", None)
    )


def check_store(store: object, *, allow_async: bool) -> None:
    """Raises ``TypeError`` unless ``store`` is callable, and, when ``allow_async`` is false
    (the blocking client), not an ``async`` function."""
    if not callable(store):
        raise TypeError(
            "store must be a function store(key_id, secret) that saves the new secret, "
            f"not {type(store).__name__}; no key was created"
        )
    if not allow_async and is_async_callable(store):
        raise TypeError(
            "store is an async function: KompliantClient needs a plain function (use "
            "AsyncKompliantClient for an async store); no key was created"
        )
