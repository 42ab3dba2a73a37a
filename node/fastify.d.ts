// Types of kompliant-webhooks/fastify.

import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { WebhookRouteOptions } from './types/receive.js';
import type { InTransaction } from './index.js';

/**
 * Options of the Fastify plugin. With a transactional guard (`PostgresGuard#transactional()`)
 * `onWebhook` gets `{ db }` as its last argument (typed optional here, as one options type
 * serves both modes: `transaction!.db`).
 */
export interface WebhookPluginOptions extends WebhookRouteOptions<[request: FastifyRequest, reply: FastifyReply, transaction?: InTransaction]> {
  /** The route's path under the register `prefix` (default `/webhooks`). */
  path?: string;
}

/**
 * A Fastify plugin (Fastify 4 and 5) registering `POST path`. Inside its own encapsulated
 * scope it replaces the content-type parsers so the route gets the raw body (other routes
 * keep theirs); it decrypts the body, calls `onWebhook(webhook, request, reply)` (`…, { db })` with a transactional guard) and answers
 * 200, or the refusal's `httpStatus` with its `publicMessage`; `HANDLER_FAILURE_STATUS` (500) if the handler throws or rejects.
 * If the handler sends a reply itself, that reply stands; with a `guard`, a reply of status
 * 400 or more it sent (`reply.statusCode` once `reply.sent`) means it failed (the core's
 * rule): the claim is released.
 */
export declare const webhookPlugin: FastifyPluginCallback<WebhookPluginOptions>;

export default webhookPlugin;
