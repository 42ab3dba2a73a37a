// Types of kompliant-webhooks/edge: the receive side of the package for Cloudflare Workers
// (workerd), Deno, Bun and Next.js edge route handlers, over the WebAssembly core. The
// objects are the Node entry's (the same classes, errors and codes), so their types are
// re-exported from it; what differs is declared here: bytes are plain Uint8Arrays (no
// Buffer), and there is no KompliantClient or addToKeyringFile (no sockets or file system:
// Keyring.fromFile and Keyring.watch throw an IoError saying so).

import type { TransactionalRouteOptions, WebhookRouteOptions } from '../express.js';
import type { SealOptions, WebhookMetadata, WebhookSecretInput } from '../index.js';

export {
  Keyring,
  WebhookReceiver,
  Webhook,
  generateWebhookSecret,
  ERROR_CODES,
  PROFILES,
  HANDLER_FAILURE_STATUS,
  httpAnswer,
  MemoryGuard,
  CLAIMS,
  DEFAULT_CLAIM_LEASE_SECONDS,
  outcomeForClaim,
  outcomeAfterHandler,
  handlerSucceeded,
  KompliantError,
  WebhookError,
  ApiError,
  MalformedEnvelopeError,
  UnknownKeyError,
  InvalidKeyError,
  DecryptionError,
  PayloadNotJsonError,
  BodyTooLargeError,
  TimestampOutOfRangeError,
  PayloadSchemaMismatchError,
  IoError,
  InternalError,
  BadRequestError,
  EntityNotFoundError,
  KeyDeletedError,
  DailyKeyLimitError,
  UrlAlreadyExistsError,
  MaxWebhookUrlLimitError,
  SystemRuleViolationError,
  UnauthorizedError,
  ForbiddenError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  ConnectionFailedError,
  InvalidResponseError,
  InvalidConfigurationError,
  StoreFailedError,
} from '../index.js';

export type {
  WebhookSecretInput,
  MetadataFieldName,
  TagPosition,
  CustomProfile,
  ProfileName,
  ReceiverOptions,
  DecryptOptions,
  RawBody,
  WebhookMetadata,
  JsonValue,
  UserContext,
  WorkflowEvent,
  EntityChange,
  SubjectRecordDataUpdatedEvent,
  OtherEvent,
  WebhookEvent,
  SealOptions,
  ErrorCode,
  WebhookErrorCode,
  HttpAnswer,
  Claim,
  Held,
  Guard,
  TransactionClient,
  InTransaction,
  GuardTransaction,
  TransactionalGuard,
  ReceiveOutcome,
} from '../index.js';

export type { WebhookRouteOptions, TransactionalRouteOptions } from '../express.js';

/** An encrypted webhook. The same sealed envelope is re-sent on every redelivery. */
export declare class SealedEnvelope {
  private constructor();
  /** The metadata (in clear in the envelope, authenticated by the tag). */
  readonly metadata: WebhookMetadata;
  /** The base64 `data` field. */
  readonly data: string;
  /** The HTTP request body for delivery attempt `retryCount` (default 0, the first). */
  body(retryCount?: number): Uint8Array;
}

/**
 * Encrypts `payload` for `metadata.keyId` with `secret`, exactly as Kompliant does (as the
 * Node entry's `sealWebhook`): for tests, fixtures and local tools.
 */
export declare function sealWebhook(
  metadata: WebhookMetadata,
  payload: string | Uint8Array | { [key: string]: unknown },
  secret: WebhookSecretInput,
  options?: SealOptions,
): SealedEnvelope;

/**
 * A fetch-style handler, `(request: Request) => Promise<Response>`, unchanged in a Worker
 * (`export default { fetch: handler }`), `Deno.serve(handler)`, `Bun.serve({ fetch: handler })`
 * and a Next.js App Router route (`export const POST = handler`). The same statuses as the
 * Node adapters (kompliant-webhooks/fetch): 200 after `onWebhook`, the refusal's `httpStatus`
 * with its `publicMessage` (503 for an unknown key, 400 for a forged or malformed body, 413
 * over `maxBodyBytes`), `HANDLER_FAILURE_STATUS` (500) if the handler throws or rejects, 405
 * for a method other than POST.
 */
export declare function webhookHandler(options: TransactionalRouteOptions<[request: Request]>): (request: Request) => Promise<Response>;
export declare function webhookHandler(options: WebhookRouteOptions<[request: Request]>): (request: Request) => Promise<Response>;
