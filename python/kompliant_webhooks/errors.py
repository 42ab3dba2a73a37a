"""The exceptions of ``kompliant_webhooks``.

Every error the package raises is a :class:`KompliantError` whose ``code`` is one of the
stable, cross-language codes (``UNKNOWN_KEY``, ``DAILY_KEY_LIMIT``, ...; see
``kompliant_webhooks.ERROR_CODES``). Two families hang below it:

- :class:`WebhookError`: the receive path (keyring, envelope, decryption, payload). Its
  ``http_status`` and ``public_message`` are what a webhook endpoint answers with.
- :class:`ApiError`: the Kompliant API client. It keeps the server's own ``server_code``,
  ``sub_code``, ``entity_type``, the HTTP status, the ``trace_id`` and ``retry_after``.

A third branch, :class:`InvalidConfigurationError` (``INVALID_CONFIGURATION``), is raised by
both families for an unusable setting (a missing credential, an unknown wire profile, a
zero body limit); it is also a ``ValueError``.

Each code has its own subclass (the tables ``WEBHOOK_ERROR_CLASSES`` / ``API_ERROR_CLASSES``
and ``InvalidConfigurationError`` are the one place that maps codes to classes; the native
module raises through them).
Messages name the failed check but never contain secrets or payload content. All the
exceptions pickle with every attribute.
"""

from __future__ import annotations

from typing import ClassVar, Dict, Optional, Type

from . import _native

__all__ = [
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
    "WEBHOOK_ERROR_CLASSES",
    "API_ERROR_CLASSES",
]


class KompliantError(Exception):
    """Root of every error raised by ``kompliant_webhooks``.

    ``code`` is the stable error code (e.g. ``"UNKNOWN_KEY"``) to branch on or log;
    ``str(error)`` is the operator-facing message (it names the failed check, never a
    secret).
    """

    #: The code an instance of this class carries unless told otherwise.
    default_code: ClassVar[str] = "INTERNAL"

    code: str
    """The stable, cross-language error code."""

    def __init__(self, message: str = "", *, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code if code is not None else self.default_code


class InvalidConfigurationError(KompliantError, ValueError):
    """``INVALID_CONFIGURATION``: a setting is missing or unusable, whichever part of the
    package it configures: the API client's credentials or options (a missing
    ``KOMPLIANT_*`` variable, a base URL, a malformed method name for ``call``) or the
    receive path's (an unknown wire profile name, a custom profile's tag position, AAD field
    or separator, ``max_body_bytes=0``). The message names the variable or option, never
    its value when it is a secret.

    It is a ``ValueError`` too, as Python raises for a bad argument value, and is neither a
    ``WebhookError`` nor an ``ApiError``: a configuration mistake is fixed in code or
    deployment, not answered to a webhook or retried.
    """

    default_code = "INVALID_CONFIGURATION"


class WebhookError(KompliantError):
    """A webhook could not be received (or a key could not be loaded).

    ``http_status`` is the status a webhook endpoint should answer with (503 for an unknown
    key, so Kompliant retries later; 400 for a malformed or forged body; 413 for a body too
    large; 500 for receiver-side problems) and ``public_message`` the text to send with it:
    it reveals nothing about which check failed. ``str(error)`` is the detailed reason, for
    logs. ``key_id`` is the key id the error is about, when there is one.
    """

    http_status: int
    """The HTTP status to answer the delivery with."""
    public_message: str
    """A short text safe to send back to the caller."""
    key_id: Optional[str]
    """The key id concerned (unknown key, failed decryption, invalid key), if any."""

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        http_status: Optional[int] = None,
        public_message: Optional[str] = None,
        key_id: Optional[str] = None,
    ) -> None:
        super().__init__(message, code=code)
        default_status, default_public = _native.http_answer(self.code)
        self.http_status = http_status if http_status is not None else default_status
        self.public_message = public_message if public_message is not None else default_public
        self.key_id = key_id


class MalformedEnvelopeError(WebhookError):
    """``MALFORMED_ENVELOPE``: the body is not a well-formed webhook envelope (answer 400)."""

    default_code = "MALFORMED_ENVELOPE"


class UnknownKeyError(WebhookError):
    """``UNKNOWN_KEY``: the envelope names a key id the keyring does not hold (answer 503:
    Kompliant retries, and the key may be deployed by then). ``key_id`` names it."""

    default_code = "UNKNOWN_KEY"


class InvalidKeyError(WebhookError):
    """``INVALID_KEY``: a secret or key id given to a keyring is unusable (not base64, not 32
    bytes, a bad key id or keyring JSON). The message never quotes the secret."""

    default_code = "INVALID_KEY"


class DecryptionError(WebhookError):
    """``DECRYPTION_FAILED``: the AES-GCM tag did not verify: the body or its metadata was
    altered, or the secret held for this key id is wrong (answer 400)."""

    default_code = "DECRYPTION_FAILED"


class PayloadNotJsonError(WebhookError):
    """``PAYLOAD_NOT_JSON``: the authenticated plaintext is not a UTF-8 JSON object."""

    default_code = "PAYLOAD_NOT_JSON"


class BodyTooLargeError(WebhookError):
    """``BODY_TOO_LARGE``: the body exceeds the receiver's ``max_body_bytes`` (answer 413)."""

    default_code = "BODY_TOO_LARGE"


class TimestampOutOfRangeError(WebhookError):
    """``TIMESTAMP_OUT_OF_RANGE``: only with an opt-in time window: the webhook's timestamp
    is too old, too far in the future, or unparseable."""

    default_code = "TIMESTAMP_OUT_OF_RANGE"


class PayloadSchemaMismatchError(WebhookError):
    """``PAYLOAD_SCHEMA_MISMATCH``: ``Webhook.event()`` was asked for a typed view but the
    payload does not fit it (a missing or mistyped field, or payload major version != 1)."""

    default_code = "PAYLOAD_SCHEMA_MISMATCH"


class KeyringFileError(WebhookError):
    """``IO_ERROR``: a keyring file could not be read or written."""

    default_code = "IO_ERROR"


class ApiError(KompliantError):
    """A call to the Kompliant API failed.

    ``code`` is the stable code to branch on; the server's own fields are kept as sent:
    ``server_code`` (e.g. ``SYSTEM_RULE_VIOLATION``), ``sub_code`` (e.g.
    ``DAILY_KEY_LIMIT``), ``entity_type`` (e.g. ``Webhook Key``) and ``trace_id`` (quote it
    to Kompliant support). ``http_status`` is the status of the last answer (``None`` if
    none was received), ``retry_after`` the server's ``Retry-After`` in seconds, ``method``
    the API method and ``attempts`` the number of HTTP attempts made. ``message`` is the
    server's message (or the client's description); ``str(error)`` adds the method, code
    and details.
    """

    message: str
    """The server's message for errors the API returned, else the client's description."""
    method: Optional[str]
    """The API method that failed, e.g. ``webhook.key.create``."""
    http_status: Optional[int]
    """The HTTP status of the last answer, if one was received."""
    server_code: Optional[str]
    """The server's ``errors[0].code``, as sent."""
    sub_code: Optional[str]
    """The server's ``errors[0].sub_code``, as sent."""
    entity_type: Optional[str]
    """The server's ``errors[0].entity_type``, as sent."""
    trace_id: Optional[str]
    """The server's ``meta.trace_id``."""
    retry_after: Optional[float]
    """The server's ``Retry-After``, in seconds."""
    attempts: int
    """How many HTTP attempts were made (0 if the call failed before sending)."""

    def __init__(
        self,
        description: str = "",
        *,
        code: Optional[str] = None,
        message: Optional[str] = None,
        method: Optional[str] = None,
        http_status: Optional[int] = None,
        server_code: Optional[str] = None,
        sub_code: Optional[str] = None,
        entity_type: Optional[str] = None,
        trace_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(description, code=code)
        self.message = message if message is not None else description
        self.method = method
        self.http_status = http_status
        self.server_code = server_code
        self.sub_code = sub_code
        self.entity_type = entity_type
        self.trace_id = trace_id
        self.retry_after = retry_after
        self.attempts = attempts


class BadRequestError(ApiError):
    """``BAD_REQUEST``: the request was refused as malformed (HTTP 400, 413, 415)."""

    default_code = "BAD_REQUEST"


class EntityNotFoundError(ApiError):
    """``ENTITY_NOT_FOUND``: no such key or endpoint configuration for these credentials (a
    key of another account looks the same)."""

    default_code = "ENTITY_NOT_FOUND"


class SystemRuleViolationError(ApiError):
    """``SYSTEM_RULE_VIOLATION``: a rule of the API refused the call; see ``sub_code``. The
    rules this package knows have their own subclasses."""

    default_code = "SYSTEM_RULE_VIOLATION"


class KeyDeletedError(SystemRuleViolationError):
    """``KEY_DELETED``: the key is DELETED and can never be activated again."""

    default_code = "KEY_DELETED"


class DailyKeyLimitError(SystemRuleViolationError):
    """``DAILY_KEY_LIMIT``: the account created its 100 keys for this UTC day."""

    default_code = "DAILY_KEY_LIMIT"


class UrlAlreadyExistsError(SystemRuleViolationError):
    """``URL_ALREADY_EXISTS``: the account already has an endpoint with this URL."""

    default_code = "URL_ALREADY_EXISTS"


class MaxWebhookUrlLimitError(SystemRuleViolationError):
    """``MAX_WEBHOOK_URL_LIMIT``: the account already has 20 endpoint configurations."""

    default_code = "MAX_WEBHOOK_URL_LIMIT"


class UnauthorizedError(ApiError):
    """``UNAUTHORIZED``: HTTP 401, the credentials or the signature were refused."""

    default_code = "UNAUTHORIZED"


class ForbiddenError(ApiError):
    """``FORBIDDEN``: HTTP 403, these credentials may not do this."""

    default_code = "FORBIDDEN"


class RateLimitedError(ApiError):
    """``RATE_LIMITED``: HTTP 429, too many requests; see ``retry_after``."""

    default_code = "RATE_LIMITED"


class ServerError(ApiError):
    """``SERVER_ERROR``: HTTP 5xx, a failure on Kompliant's side."""

    default_code = "SERVER_ERROR"


class ApiTimeoutError(ApiError):
    """``TIMEOUT``: no complete answer within the client's timeout. For a create or delete
    the call may or may not have taken effect: check with a read."""

    default_code = "TIMEOUT"


class ApiConnectionError(ApiError):
    """``CONNECTION_FAILED``: the server could not be reached, or the connection broke."""

    default_code = "CONNECTION_FAILED"


class InvalidResponseError(ApiError):
    """``INVALID_RESPONSE``: the answer is not what the API documents (not JSON, wrong shape,
    a secret that is not 32 bytes, ...)."""

    default_code = "INVALID_RESPONSE"


class StoreFailedError(ApiError):
    """``STORE_FAILED``: a rotation created a key but the store step failed, so the key was
    NOT activated (it stays INACTIVE).

    ``str(error)`` quotes the store's exception with the new secret (in every base64
    spelling) and the client's credentials masked. The ``__cause__`` is the store's exception
    itself, as your code raised it, NOT masked: ``logger.exception(...)`` or a traceback of
    this error prints whatever your store put in that exception (a secret manager's error
    that echoes its input included)."""

    default_code = "STORE_FAILED"


#: Receive-path codes and their classes (codes not listed raise ``WebhookError`` itself).
WEBHOOK_ERROR_CLASSES: Dict[str, Type[WebhookError]] = {
    cls.default_code: cls
    for cls in (
        MalformedEnvelopeError,
        UnknownKeyError,
        InvalidKeyError,
        DecryptionError,
        PayloadNotJsonError,
        BodyTooLargeError,
        TimestampOutOfRangeError,
        PayloadSchemaMismatchError,
        KeyringFileError,
    )
}

#: API-client codes and their classes (codes not listed raise ``ApiError`` itself).
API_ERROR_CLASSES: Dict[str, Type[ApiError]] = {
    cls.default_code: cls
    for cls in (
        BadRequestError,
        EntityNotFoundError,
        SystemRuleViolationError,
        KeyDeletedError,
        DailyKeyLimitError,
        UrlAlreadyExistsError,
        MaxWebhookUrlLimitError,
        UnauthorizedError,
        ForbiddenError,
        RateLimitedError,
        ServerError,
        ApiTimeoutError,
        ApiConnectionError,
        InvalidResponseError,
        StoreFailedError,
    )
}


def _webhook_error(
    message: str,
    *,
    code: str,
    http_status: int,
    public_message: str,
    key_id: Optional[str],
) -> KompliantError:
    """Builds the exception for a receive-path error (called by the native module)."""
    if code == InvalidConfigurationError.default_code:
        return InvalidConfigurationError(message)
    cls = WEBHOOK_ERROR_CLASSES.get(code, WebhookError)
    return cls(
        message, code=code, http_status=http_status, public_message=public_message, key_id=key_id
    )


def _api_error(
    description: str,
    *,
    code: str,
    message: str,
    method: Optional[str],
    http_status: Optional[int],
    server_code: Optional[str],
    sub_code: Optional[str],
    entity_type: Optional[str],
    trace_id: Optional[str],
    retry_after: Optional[float],
    attempts: int,
) -> KompliantError:
    """Builds the exception for an API-client error (called by the native module)."""
    if code == InvalidConfigurationError.default_code:
        return InvalidConfigurationError(description)
    cls = API_ERROR_CLASSES.get(code, ApiError)
    return cls(
        description,
        code=code,
        message=message,
        method=method,
        http_status=http_status,
        server_code=server_code,
        sub_code=sub_code,
        entity_type=entity_type,
        trace_id=trace_id,
        retry_after=retry_after,
        attempts=attempts,
    )
