// Types of kompliant-webhooks/fetch.

import type { TransactionalRouteOptions, WebhookRouteOptions } from './express.js';

/**
 * A fetch-style handler, `(request: Request) => Promise<Response>`, for Next.js route
 * handlers (`export const POST = webhookHandler({…})`) and other fetch-based runtimes. It
 * reads the raw body, decrypts it, calls `onWebhook(webhook, request)` (`onWebhook(webhook, request, { db })` with a transactional guard) and answers 200 (or
 * the Response your handler returns), or the refusal's `httpStatus` with its
 * `publicMessage`; `HANDLER_FAILURE_STATUS` (500) if the handler throws or rejects; 500 if the body was already read.
 * With a `guard`, a returned Response of status 400 or more means the handler failed (the
 * core's rule): the claim is released and that Response is sent.
 */
export declare function webhookHandler(options: TransactionalRouteOptions<[request: Request]>): (request: Request) => Promise<Response>;
export declare function webhookHandler(options: WebhookRouteOptions<[request: Request]>): (request: Request) => Promise<Response>;

export default webhookHandler;
