// Types of kompliant-webhooks/express.

/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Guard, InTransaction, TransactionalGuard, Webhook, WebhookReceiver } from './index.js';

/** Options shared by the Express middleware, the Fastify plugin and the fetch handler. */
export interface WebhookRouteOptions<Context extends unknown[]> {
  /**
   * The receiver, or a function returning the one to use for this request (e.g. rebuilt
   * when the keyring file changes): called once per request, and that receiver gives both
   * the body limit and the decryption. If it throws, `onError` sees the error and the
   * answer is the core's `INTERNAL` one (500 `webhook receiver error`).
   */
  receiver: WebhookReceiver | (() => WebhookReceiver);
  /**
   * Your handler, called once per verified delivery (deduplicate by `webhook.id`: delivery is
   * at least once). 200 is answered after it resolves; if it throws or rejects, whatever the
   * error (a typed-view `PayloadSchemaMismatchError` included), `HANDLER_FAILURE_STATUS`
   * (500, the core's) so Kompliant redelivers later.
   */
  onWebhook: (webhook: Webhook, ...context: Context) => unknown;
  /**
   * Sees every refused delivery (a `WebhookError` with `code` and an operator message) and
   * every handler failure. Default: one line on stderr.
   */
  onError?: (error: unknown, ...context: Context) => unknown;
  /**
   * A duplicate guard (`MemoryGuard`, `RedisGuard` from `kompliant-webhooks/redis`, or your
   * own `Guard`): each webhook id is claimed, with a fresh token, before `onWebhook` runs. A
   * duplicate of a processed webhook is answered 200 and one still in progress 503, without
   * calling `onWebhook`. While it runs the claim is renewed (a third of the lease, see
   * `renew`). Then the id is completed if the handler succeeded and released if it failed,
   * so Kompliant's retry is processed. The rule of a failure is the core's, as in every
   * language: the handler threw or rejected, or it answered with a response of status 400 or
   * more, which is, per adapter: Express, a response the handler sent itself
   * (`res.statusCode` once `res.headersSent`); Fastify, a reply it sent itself
   * (`reply.statusCode` once `reply.sent`); fetch, a `Response` it returned (that Response is
   * sent). A failed claim is answered 500 (`INTERNAL`); a claim found lost (another delivery
   * took it after its lease lapsed: the webhook may run twice) goes to `onError` as an
   * `InternalError` with the core's message. A `TransactionalGuard`
   * (`PostgresGuard#transactional()` from `kompliant-webhooks/postgres`) also opens a
   * transaction after the claim and hands it to `onWebhook` as its last argument, `{ db }`;
   * the webhook is marked processed in that transaction, committed only if the claim still
   * holds (else rolled back and answered 503); a failed handler's is rolled back.
   */
  guard?: Guard;
  /**
   * How long a claim lasts, in seconds (default 300; a `RedisGuard` with its own
   * `leaseSeconds` uses that one). Renewed while `onWebhook` runs: a short lease lets a
   * redelivery after a crash run sooner.
   */
  leaseSeconds?: number;
  /**
   * Renew the claim every third of the lease while `onWebhook` runs (default `true`). With
   * `false`, `leaseSeconds` must be longer than `onWebhook` can run, or a redelivery may run
   * the webhook again.
   */
  renew?: boolean;
}

/**
 * The options with a transactional guard (`PostgresGuard#transactional()`): `onWebhook` gets
 * `{ db }`, the client in the transaction in which the webhook is marked processed, as its
 * last argument.
 */
export type TransactionalRouteOptions<Context extends unknown[]> = Omit<WebhookRouteOptions<Context>, 'guard' | 'onWebhook'> & {
  guard: TransactionalGuard;
  onWebhook: (webhook: Webhook, ...context: [...Context, transaction: InTransaction]) => unknown;
};

/** The middleware: an Express request handler (also mountable as a sub-application). */
export interface KompliantWebhookMiddleware<Req, Res> {
  (req: Req, res: Res, next: (err?: unknown) => void): void;
}

/**
 * An Express middleware (Express 4 and 5) for Kompliant webhooks. It reads the raw body
 * itself (or uses the Buffer of a preceding `express.raw()`), decrypts it, calls
 * `onWebhook(webhook, req, res)` (`onWebhook(webhook, req, res, { db })` with a transactional
 * guard), and answers 200, or the refusal's `httpStatus` with its
 * `publicMessage` (503 for an unknown key, 400 for a forged or malformed body, 413 for a
 * body over `maxBodyBytes`). If your handler sends a response itself, that response stands;
 * with a `guard`, one of status 400 or more (`res.statusCode` once `res.headersSent`) means it
 * failed (the core's rule): the claim is released.
 *
 * Mount it with `app.use(path, …)` BEFORE `express.json()`: it checks this when mounted and
 * throws at start-up if a JSON body parser would run first on its path. At request time it
 * refuses (via `next(err)`, status 500) a body another middleware already parsed.
 */
export declare function webhookMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options: TransactionalRouteOptions<[req: Req, res: Res]>,
): KompliantWebhookMiddleware<Req, Res>;
export declare function webhookMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options: WebhookRouteOptions<[req: Req, res: Res]>,
): KompliantWebhookMiddleware<Req, Res>;

export default webhookMiddleware;
