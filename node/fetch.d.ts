// Types of kompliant-webhooks/fetch, also re-exported by kompliant-webhooks/edge: no Node type
// (Request and Response are the global fetch classes).

import type { TransactionalRouteOptions, WebhookRouteOptions } from './types/receive.js';

/**
 * A fetch-style handler, `(request: Request) => Promise<Response>`, for Next.js route
 * handlers (`export const POST = webhookHandler({…})`) and other fetch-based runtimes; from
 * kompliant-webhooks/edge, unchanged in a Worker (`export default { fetch: handler }`),
 * `Deno.serve(handler)` and `Bun.serve({ fetch: handler })`. It
 * reads the raw body, decrypts it, calls `onWebhook(webhook, request)` (`onWebhook(webhook, request, { db })` with a transactional guard) and answers 200 (or
 * the Response your handler returns), or the refusal's `httpStatus` with its
 * `publicMessage` (503 for an unknown key, 400 for a forged or malformed body, 413 over
 * `maxBodyBytes`); `HANDLER_FAILURE_STATUS` (500) if the handler throws or rejects; 500 if the
 * body was already read; 405 for a method other than POST.
 * With a `guard`, a returned Response of status 400 or more means the handler failed (the
 * core's rule): the claim is released and that Response is sent.
 */
export declare function webhookHandler(options: TransactionalRouteOptions<[request: Request]>): (request: Request) => Promise<Response>;
export declare function webhookHandler(options: WebhookRouteOptions<[request: Request]>): (request: Request) => Promise<Response>;

export default webhookHandler;
