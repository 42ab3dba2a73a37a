// A typed usage of kompliant-webhooks/edge (the suite's `tsc --noEmit --strict`): a fetch
// handler as a Worker, Deno, Bun or a Next.js route uses it, bytes as Uint8Array.

import {
  ERROR_CODES,
  HANDLER_FAILURE_STATUS,
  Keyring,
  MemoryGuard,
  UnknownKeyError,
  WebhookError,
  WebhookReceiver,
  generateWebhookSecret,
  sealWebhook,
  webhookHandler,
  type ErrorCode,
  type Webhook,
} from 'kompliant-webhooks/edge';

const secret = generateWebhookSecret();
const receiver = new WebhookReceiver(new Keyring({ whk_20251121_01: secret }));
export const POST: (request: Request) => Promise<Response> = webhookHandler({
  receiver,
  guard: new MemoryGuard(),
  onWebhook: async (webhook: Webhook, request: Request) => {
    const event = webhook.event();
    if (event.type === 'workflow') return new Response(`${event.workflowId} ${request.method}`);
    return undefined;
  },
  onError: (error: unknown) => {
    if (error instanceof UnknownKeyError) console.warn(error.keyId);
  },
});
export default { fetch: POST };

const body: Uint8Array = sealWebhook(
  { id: 'wh_1', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T00:00:00Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: 'whk_20251121_01' },
  { version: '1.0' },
  secret,
).body(0);
try {
  receiver.decrypt(body);
} catch (err) {
  if (err instanceof WebhookError) {
    const code: ErrorCode = err.code;
    console.log(code, err.httpStatus, HANDLER_FAILURE_STATUS, ERROR_CODES.length);
  }
}
// @ts-expect-error: no API client in the edge entry
import type { KompliantClient } from 'kompliant-webhooks/edge';
