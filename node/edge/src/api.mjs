// The receive side of the package, for kompliant-webhooks/edge: the Node entry's objects
// (node/lib, bundled by scripts/build-edge.mjs over the WebAssembly binding) and the fetch
// handler of kompliant-webhooks/fetch. Not here: KompliantClient and addToKeyringFile (they
// need sockets and a file system; use the Node entry for key management).
import errors from '../../lib/errors.js';
import codes from '../../lib/codes.js';
import keyring from '../../lib/keyring.js';
import receiver from '../../lib/receiver.js';
import webhook from '../../lib/webhook.js';
import seal from '../../lib/seal.js';
import guard from '../../lib/guard.js';
import fetchHandler from '../../fetch.js';

export const Keyring = keyring.Keyring;
export const WebhookReceiver = receiver.WebhookReceiver;
export const Webhook = webhook.Webhook;
export const sealWebhook = seal.sealWebhook;
export const SealedEnvelope = seal.SealedEnvelope;
export const generateWebhookSecret = seal.generateWebhookSecret;
export const ERROR_CODES = codes.ERROR_CODES;
export const PROFILES = codes.PROFILES;
export const HANDLER_FAILURE_STATUS = codes.HANDLER_FAILURE_STATUS;
export const httpAnswer = codes.httpAnswer;
export const MemoryGuard = guard.MemoryGuard;
export const CLAIMS = guard.CLAIMS;
export const DEFAULT_CLAIM_LEASE_SECONDS = guard.DEFAULT_CLAIM_LEASE_SECONDS;
export const outcomeForClaim = guard.outcomeForClaim;
export const outcomeAfterHandler = guard.outcomeAfterHandler;
export const handlerSucceeded = guard.handlerSucceeded;
export const webhookHandler = fetchHandler.webhookHandler;
export const KompliantError = errors.KompliantError;
export const WebhookError = errors.WebhookError;
export const ApiError = errors.ApiError;
export const MalformedEnvelopeError = errors.MalformedEnvelopeError;
export const UnknownKeyError = errors.UnknownKeyError;
export const InvalidKeyError = errors.InvalidKeyError;
export const DecryptionError = errors.DecryptionError;
export const PayloadNotJsonError = errors.PayloadNotJsonError;
export const BodyTooLargeError = errors.BodyTooLargeError;
export const TimestampOutOfRangeError = errors.TimestampOutOfRangeError;
export const PayloadSchemaMismatchError = errors.PayloadSchemaMismatchError;
export const IoError = errors.IoError;
export const InternalError = errors.InternalError;
export const BadRequestError = errors.BadRequestError;
export const EntityNotFoundError = errors.EntityNotFoundError;
export const KeyDeletedError = errors.KeyDeletedError;
export const DailyKeyLimitError = errors.DailyKeyLimitError;
export const UrlAlreadyExistsError = errors.UrlAlreadyExistsError;
export const MaxWebhookUrlLimitError = errors.MaxWebhookUrlLimitError;
export const SystemRuleViolationError = errors.SystemRuleViolationError;
export const UnauthorizedError = errors.UnauthorizedError;
export const ForbiddenError = errors.ForbiddenError;
export const RateLimitedError = errors.RateLimitedError;
export const ServerError = errors.ServerError;
export const TimeoutError = errors.TimeoutError;
export const ConnectionFailedError = errors.ConnectionFailedError;
export const InvalidResponseError = errors.InvalidResponseError;
export const InvalidConfigurationError = errors.InvalidConfigurationError;
export const StoreFailedError = errors.StoreFailedError;
