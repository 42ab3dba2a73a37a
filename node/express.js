'use strict';
// kompliant-webhooks/express: an Express middleware that reads the raw body itself,
// decrypts it, hands your handler a Webhook, and answers with the suggested status.
//
//   app.use('/webhooks', webhookMiddleware({ receiver, onWebhook: async (webhook) => { … } }));
//
// Mounted with app.use(), it checks at start-up that no JSON body parser (express.json(),
// bodyParser.json()) runs before it on its path, and throws if one does: such a parser
// consumes the request and keeps only the parsed object, and the webhook must be decrypted
// from the bytes received, unchanged. On every request it also refuses (500, via next(err)) a body that some
// other middleware already consumed.

const { receiverSource, receiverFor, readNodeStream, deliver } = require('./lib/http.js');

const WHERE = 'webhookMiddleware';

/** The JSON body parsers of express / body-parser, by the name of their middleware function. */
const JSON_PARSERS = new Set(['jsonParser']);

function misconfigured(detail) {
  const err = new Error(
    `kompliant-webhooks/express: ${detail}. The webhook middleware needs the raw request body: ` +
      'mount it before express.json() (app.use("/webhooks", webhookMiddleware(…)) first), or ' +
      'limit express.json() to your other routes.',
  );
  err.code = 'ERR_KOMPLIANT_PARSED_BODY';
  return err;
}

/** Throws if a JSON body parser mounted on `parent` before us would run for `mountpath`. */
function checkMount(parent, mountpath) {
  const router = parent?._router ?? parent?.router; // Express 4 / Express 5
  const stack = Array.isArray(router?.stack) ? router.stack : [];
  const paths = (Array.isArray(mountpath) ? mountpath : [mountpath]).filter((p) => typeof p === 'string');
  for (const layer of stack) {
    if (!JSON_PARSERS.has(layer?.name) || typeof layer.match !== 'function') continue;
    const hit = paths.find((p) => layer.match(p));
    if (hit !== undefined) {
      throw misconfigured(`express.json() (or another JSON body parser) is mounted before the webhook middleware on "${hit}"`);
    }
  }
}

/**
 * An Express middleware for Kompliant webhooks. Options:
 * - `receiver`: a WebhookReceiver, or a function returning the one to use now (e.g. rebuilt
 *   when the keyring file changes);
 * - `onWebhook(webhook, req, res)`: your handler (may be async). Answer 200 is sent after it
 *   resolves unless it sent a response itself; if it throws, the answer is 500 (Kompliant
 *   retries later). With a `guard`, a handler that throws or sent a response of status 400
 *   or more itself has failed: its claim is released, so Kompliant's retry is processed;
 * - `onError(error, req, res)`: sees every refused webhook and handler failure (default:
 *   one line on stderr).
 * Refused webhooks are answered with `error.httpStatus` and `error.publicMessage`.
 */
/**
 * The status of the response the handler sent itself (`res.statusCode` once headers are sent),
 * or `null`: with a guard, a handler that answered 400 or more failed (the core's rule) and
 * its claim is released.
 */
function sentStatus(result, req, res) {
  return res.headersSent ? res.statusCode : null;
}

function webhookMiddleware(options) {
  const getReceiver = receiverSource(options, WHERE);

  async function handle(req, res, next) {
    if (req.method !== 'POST') {
      res.statusCode = 405;
      res.setHeader('Allow', 'POST');
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('method not allowed');
      return;
    }
    let body;
    let receiver;
    try {
      if (Buffer.isBuffer(req.body) || typeof req.body === 'string') {
        body = req.body; // express.raw() / express.text() kept the bytes
      } else if (req._body === true || req.readableEnded) {
        next(misconfigured('the request body was already read and parsed by another middleware'));
        return;
      }
      // The receiver for this request: a `receiver` function is called once.
      const source = await receiverFor(getReceiver, options, [req, res]);
      if (source.answer) {
        send(res, source.answer);
        return;
      }
      receiver = source.receiver;
      body ??= await readNodeStream(req, receiver.maxBodyBytes);
    } catch (err) {
      next(err);
      return;
    }
    send(res, await deliver(receiver, body, options, [req, res], sentStatus));
  }

  /** Sends `answer` unless the handler already answered. */
  function send(res, answer) {
    if (res.headersSent || res.writableEnded) return;
    res.statusCode = answer.status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (answer.status === 413) res.setHeader('Connection', 'close');
    res.end(answer.text);
  }

  function kompliantWebhookMiddleware(req, res, next) {
    handle(req, res, next).catch(next);
  }
  // Express treats an object with handle() and set() as a sub-application: app.use() then
  // emits 'mount' with the parent app, which is when the start-up check runs.
  kompliantWebhookMiddleware.handle = kompliantWebhookMiddleware;
  kompliantWebhookMiddleware.set = () => kompliantWebhookMiddleware;
  kompliantWebhookMiddleware.emit = (event, parent) => {
    if (event === 'mount') checkMount(parent, kompliantWebhookMiddleware.mountpath);
    return true;
  };
  return kompliantWebhookMiddleware;
}

module.exports = { webhookMiddleware, default: webhookMiddleware };
// `import x from` in TypeScript (esModuleInterop) gets the `default` export.
Object.defineProperty(module.exports, '__esModule', { value: true });
