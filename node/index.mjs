// ESM entry point: the same objects as the CommonJS one (one copy of each class, so
// instanceof works whichever way the package is loaded).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./index.js');

export const Keyring = m.Keyring;
export const WebhookReceiver = m.WebhookReceiver;
export const Webhook = m.Webhook;
export const sealWebhook = m.sealWebhook;
export const SealedEnvelope = m.SealedEnvelope;
export const generateWebhookSecret = m.generateWebhookSecret;
export const addToKeyringFile = m.addToKeyringFile;
export const KompliantClient = m.KompliantClient;
export const CreatedWebhookKey = m.CreatedWebhookKey;
export const ERROR_CODES = m.ERROR_CODES;
export const PROFILES = m.PROFILES;
export const HANDLER_FAILURE_STATUS = m.HANDLER_FAILURE_STATUS;
export const httpAnswer = m.httpAnswer;
export const MemoryGuard = m.MemoryGuard;
export const CLAIMS = m.CLAIMS;
export const DEFAULT_CLAIM_LEASE_SECONDS = m.DEFAULT_CLAIM_LEASE_SECONDS;
export const outcomeForClaim = m.outcomeForClaim;
export const outcomeAfterHandler = m.outcomeAfterHandler;
export const handlerSucceeded = m.handlerSucceeded;
export const KompliantError = m.KompliantError;
export const WebhookError = m.WebhookError;
export const ApiError = m.ApiError;
export const MalformedEnvelopeError = m.MalformedEnvelopeError;
export const UnknownKeyError = m.UnknownKeyError;
export const InvalidKeyError = m.InvalidKeyError;
export const DecryptionError = m.DecryptionError;
export const PayloadNotJsonError = m.PayloadNotJsonError;
export const BodyTooLargeError = m.BodyTooLargeError;
export const TimestampOutOfRangeError = m.TimestampOutOfRangeError;
export const PayloadSchemaMismatchError = m.PayloadSchemaMismatchError;
export const IoError = m.IoError;
export const InternalError = m.InternalError;
export const BadRequestError = m.BadRequestError;
export const EntityNotFoundError = m.EntityNotFoundError;
export const KeyDeletedError = m.KeyDeletedError;
export const DailyKeyLimitError = m.DailyKeyLimitError;
export const UrlAlreadyExistsError = m.UrlAlreadyExistsError;
export const MaxWebhookUrlLimitError = m.MaxWebhookUrlLimitError;
export const SystemRuleViolationError = m.SystemRuleViolationError;
export const UnauthorizedError = m.UnauthorizedError;
export const ForbiddenError = m.ForbiddenError;
export const RateLimitedError = m.RateLimitedError;
export const ServerError = m.ServerError;
export const TimeoutError = m.TimeoutError;
export const ConnectionFailedError = m.ConnectionFailedError;
export const InvalidResponseError = m.InvalidResponseError;
export const InvalidConfigurationError = m.InvalidConfigurationError;
export const StoreFailedError = m.StoreFailedError;

