// A small Express receiver for Kompliant webhooks.
//
//   node server.js --keys keys.json [--port 0] [--host 127.0.0.1] [--fail-first N] [--payload]
//
// - keys.json is a keyring file ({"whk_…": "<base64 secret>"}). It is re-read whenever it
//   changes, so a rotation that writes the new key there (KompliantClient.rotateWebhookKey with
//   addToKeyringFile, or `kompliant keys rotate --keyring keys.json`) is picked up without a
//   restart, and retired keys stay usable for redeliveries as long as they stay in the file.
// - Deliveries are deduplicated by webhook id (Kompliant delivers at least once).
// - Prints `listening on http://HOST:PORT` first, then one JSON line per delivery.
// - --fail-first N answers 500 to the first N deliveries, to watch Kompliant (or
//   `kompliant sim`) retry them.

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { Keyring, WebhookReceiver } from 'kompliant-webhooks';
import { webhookMiddleware } from 'kompliant-webhooks/express';

/**
 * The receiver for the keyring file, rebuilt when the file changes (logged as a `keyring`
 * line); a file that became unreadable or invalid keeps the old keys.
 */
export function keyringFileReceiver(path, log) {
  let stamp = null;
  let receiver = null;
  return () => {
    const stat = fs.statSync(path, { throwIfNoEntry: false });
    const now = stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : 'missing';
    if (now !== stamp || receiver === null) {
      try {
        const reloaded = receiver !== null;
        receiver = new WebhookReceiver(Keyring.fromFile(path));
        if (reloaded) log({ event: 'keyring', keyIds: receiver.keyring.keyIds() });
      } catch (err) {
        if (receiver === null) throw err;
        log({ event: 'keyring-error', code: err.code, message: err.message });
      }
      stamp = now;
    }
    return receiver;
  };
}

/** The Express app: POST /webhooks, and GET /healthz. */
export function createApp({ keysPath, log = (line) => console.log(JSON.stringify(line)), failFirst = 0, showPayload = false }) {
  const receiver = keyringFileReceiver(keysPath, log);
  receiver(); // fail at start-up, not on the first delivery, if the keyring cannot be loaded
  const seen = new Set();
  let toFail = failFirst;
  const app = express();
  app.get('/healthz', (req, res) => res.send('ok'));
  // Mounted before any JSON body parser (the middleware checks this at start-up).
  app.use(
    '/webhooks',
    webhookMiddleware({
      receiver,
      onWebhook: async (webhook, req, res) => {
        if (toFail > 0) {
          toFail -= 1;
          log({ event: 'failed-on-purpose', id: webhook.id, retryCount: webhook.retryCount });
          res.status(500).send('failing on purpose (--fail-first)');
          return;
        }
        const duplicate = seen.has(webhook.id);
        seen.add(webhook.id);
        const line = {
          event: 'webhook',
          id: webhook.id,
          eventType: webhook.eventType,
          keyId: webhook.keyId,
          retryCount: webhook.retryCount,
          duplicate,
        };
        if (!duplicate) {
          // Your business logic goes here, once per webhook id.
          const view = webhook.event();
          if (view.type === 'workflow') line.workflowId = view.workflowId;
          if (showPayload) line.payload = webhook.payload;
        }
        log(line);
      },
      onError: (err) => log({ event: 'refused', code: err.code, message: err.message }),
    }),
  );
  app.use(express.json()); // for the app's other routes
  return app;
}

async function main() {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'fail-first': { type: 'string', default: '0' },
      payload: { type: 'boolean', default: false },
    },
  });
  const keysPath = values.keys ?? process.env.KOMPLIANT_KEYRING_FILE;
  if (!keysPath) {
    console.error('usage: node server.js --keys keys.json [--port 0] [--host 127.0.0.1] [--fail-first N] [--payload]');
    process.exit(2);
  }
  const app = createApp({ keysPath, failFirst: Number(values['fail-first']), showPayload: values.payload });
  const server = app.listen(Number(values.port), values.host, () => {
    const { address, port } = server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    console.log(`listening on http://${host}:${port}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // keep-alive connections from the sender would hold close() open
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`error: ${err.code ?? err.name}: ${err.message}`);
    process.exit(1);
  });
}
