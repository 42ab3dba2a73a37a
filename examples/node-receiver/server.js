// A small Express receiver for Kompliant webhooks.
//
//   node server.js [--keys keys.json] [--port 0] [--host 127.0.0.1] [--fail-first N] [--payload]
//
// - keys.json (default: $KOMPLIANT_KEYRING_FILE) is a keyring file, followed with
//   Keyring.watch: a rotation done by another process that stores the new key there
//   (KompliantClient.rotateWebhookKey with addToKeyringFile, or
//   `kompliant keys rotate --keyring keys.json`) is picked up by the next delivery, without a
//   restart; retired keys stay in the file (with their retirement time) and keep decrypting
//   redeliveries.
// - Deliveries are deduplicated by webhook id (Kompliant delivers at least once).
// - Prints `listening on http://HOST:PORT` first (port from --port, else $PORT, else a free
//   one), then one line per delivery:
//     webhook <id> key=<key id> type=<event type> retry=<n> [duplicate] [workflow=<id>]
//     refused <ERROR_CODE> <message>
//   and one per change of the keyring file (`keyring reloaded: …`, `keyring problem: …`).
// - --fail-first N answers 500 to the first N deliveries, to watch Kompliant (or
//   `kompliant sim`) retry them.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { Keyring, WebhookReceiver } from 'kompliant-webhooks';
import { webhookMiddleware } from 'kompliant-webhooks/express';

/** The Express app: POST /webhooks, and GET /healthz. */
export function createApp({ keysPath, log = (line) => console.log(line), failFirst = 0, showPayload = false }) {
  // Loads the file now (a missing or empty keyring fails at start-up, not on the first
  // delivery), then follows it.
  const keyring = Keyring.watch(keysPath, {
    onEvent: (event) =>
      log(event.type === 'reloaded' ? `keyring reloaded: ${event.keyIds.join(' ')}` : `keyring problem: ${event.error.code} ${event.error.message}`),
  });
  const receiver = new WebhookReceiver(keyring);
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
          log(`failed-on-purpose ${webhook.id} retry=${webhook.retryCount}`);
          res.status(500).send('failing on purpose (--fail-first)');
          return;
        }
        const duplicate = seen.has(webhook.id);
        seen.add(webhook.id);
        let line = `webhook ${webhook.id} key=${webhook.keyId} type=${webhook.eventType} retry=${webhook.retryCount}`;
        if (duplicate) {
          line += ' duplicate';
        } else {
          // Your business logic goes here, once per webhook id.
          const view = webhook.event();
          if (view.type === 'workflow') line += ` workflow=${view.workflowId}`;
          if (showPayload) line += ` payload=${JSON.stringify(webhook.payload)}`;
        }
        log(line);
      },
      onError: (err) => log(`refused ${err.code} ${err.message}`),
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
    console.error('       (or set KOMPLIANT_KEYRING_FILE instead of --keys)');
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
