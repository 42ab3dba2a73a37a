// Types of kompliant-webhooks/express.

/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransactionalRouteOptions, WebhookRouteOptions } from './types/receive.js';

export type { TransactionalRouteOptions, WebhookRouteOptions } from './types/receive.js';

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
