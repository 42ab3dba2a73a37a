// A typed usage from CommonJS TypeScript: require-style imports resolve to the same types.

import kompliant = require('kompliant-webhooks');
import express = require('kompliant-webhooks/express');
import fetchHandler = require('kompliant-webhooks/fetch');

const ring = new kompliant.Keyring({ whk_20251121_01: kompliant.generateWebhookSecret() });
const receiver = new kompliant.WebhookReceiver(ring);

export function open(body: Uint8Array): string {
  try {
    return receiver.decrypt(body).id;
  } catch (err) {
    if (err instanceof kompliant.DecryptionError) return `forged: ${err.httpStatus}`;
    throw err;
  }
}

export const middleware = express.webhookMiddleware({ receiver, onWebhook: (w) => console.log(w.eventType) });
export const handler = fetchHandler.default({ receiver, onWebhook: () => undefined });
