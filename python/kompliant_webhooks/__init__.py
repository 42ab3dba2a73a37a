"""Receive Kompliant's AES-256-GCM encrypted webhooks and manage the keys that encrypt them.

The logic lives in a Rust core (``kompliant_webhooks._native``, built with pyo3); this
package adds what is idiomatic Python: the exception classes, the asyncio client and the
framework adapters (``kompliant_webhooks.flask``, ``.starlette``, ``.django``), each taking an
optional duplicate ``guard=`` (``MemoryGuard``, ``kompliant_webhooks.redis.RedisGuard``).

.. code-block:: python

    from kompliant_webhooks import Keyring, WebhookReceiver, WebhookError

    receiver = WebhookReceiver(Keyring.watch("keys.json"))   # follows the file: rotations apply
    try:
        webhook = receiver.decrypt(raw_body)          # the body as received, unchanged
        print(webhook.id, webhook.event_type, webhook.payload)
        status = 200
    except WebhookError as error:
        status = error.http_status                    # 503 unknown key, 400 forged, ...

See ``docs/python.md`` for the full guide.
"""

from __future__ import annotations

from typing import Union

from ._native import (
    DEFAULT_MAX_BODY_BYTES,
    ERROR_CODES,
    HANDLER_FAILURE_STATUS,
    ActivatedWebhookKey,
    ApiResponse,
    ApiVersionInfo,
    CreatedWebhookKey,
    Entities,
    EntityChange,
    Keyring,
    KompliantClient,
    OtherEvent,
    PendingRotation,
    RetryPolicy,
    Rotation,
    SubjectRecordDataUpdated,
    UserContext,
    Webhook,
    WebhookConfig,
    WebhookKeyInfo,
    WebhookReceiver,
    WireProfile,
    WorkflowEvent,
    __version__,
    add_to_keyring_file,
    generate_secret,
    handler_failure_answer,
    http_answer,
    seal_webhook,
)
from ._adapter import SupportsDecrypt
from .guard import (
    DEFAULT_CLAIM_LEASE,
    DEFAULT_RETENTION,
    Claim,
    Guard,
    GuardedDelivery,
    GuardedReceiver,
    Held,
    MemoryGuard,
    ReceiveOutcome,
    handler_succeeded,
    new_claim_token,
)
from .aio import AsyncKompliantClient, AsyncStore
from .errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    BadRequestError,
    BodyTooLargeError,
    DailyKeyLimitError,
    DecryptionError,
    EntityNotFoundError,
    ForbiddenError,
    InvalidConfigurationError,
    InvalidKeyError,
    InvalidResponseError,
    KeyDeletedError,
    KeyringFileError,
    KompliantError,
    MalformedEnvelopeError,
    MaxWebhookUrlLimitError,
    PayloadNotJsonError,
    PayloadSchemaMismatchError,
    RateLimitedError,
    ServerError,
    StoreFailedError,
    SystemRuleViolationError,
    TimestampOutOfRangeError,
    UnauthorizedError,
    UnknownKeyError,
    UrlAlreadyExistsError,
    WebhookError,
)

#: The typed views ``Webhook.event()`` returns.
Event = Union[WorkflowEvent, SubjectRecordDataUpdated, OtherEvent]

__all__ = [
    "__version__",
    # receiving
    "Keyring",
    "WireProfile",
    "WebhookReceiver",
    "Webhook",
    "Event",
    "WorkflowEvent",
    "SubjectRecordDataUpdated",
    "Entities",
    "EntityChange",
    "UserContext",
    "OtherEvent",
    "seal_webhook",
    "generate_secret",
    "add_to_keyring_file",
    "DEFAULT_MAX_BODY_BYTES",
    "SupportsDecrypt",
    # exactly-once processing
    "MemoryGuard",
    "Guard",
    "Claim",
    "Held",
    "handler_succeeded",
    "new_claim_token",
    "GuardedReceiver",
    "GuardedDelivery",
    "ReceiveOutcome",
    "DEFAULT_CLAIM_LEASE",
    "DEFAULT_RETENTION",
    # the API client
    "KompliantClient",
    "AsyncKompliantClient",
    "AsyncStore",
    "RetryPolicy",
    "CreatedWebhookKey",
    "ActivatedWebhookKey",
    "WebhookKeyInfo",
    "WebhookConfig",
    "ApiVersionInfo",
    "ApiResponse",
    "Rotation",
    "PendingRotation",
    # errors
    "ERROR_CODES",
    "http_answer",
    "HANDLER_FAILURE_STATUS",
    "handler_failure_answer",
    "KompliantError",
    "WebhookError",
    "MalformedEnvelopeError",
    "UnknownKeyError",
    "InvalidKeyError",
    "DecryptionError",
    "PayloadNotJsonError",
    "BodyTooLargeError",
    "TimestampOutOfRangeError",
    "PayloadSchemaMismatchError",
    "KeyringFileError",
    "ApiError",
    "BadRequestError",
    "EntityNotFoundError",
    "SystemRuleViolationError",
    "KeyDeletedError",
    "DailyKeyLimitError",
    "UrlAlreadyExistsError",
    "MaxWebhookUrlLimitError",
    "UnauthorizedError",
    "ForbiddenError",
    "RateLimitedError",
    "ServerError",
    "ApiTimeoutError",
    "ApiConnectionError",
    "InvalidResponseError",
    "InvalidConfigurationError",
    "StoreFailedError",
]
