'use strict';
// kompliant-webhooks/fetch: a `(request: Request) => Promise<Response>` handler for
// fetch-style servers (Next.js route handlers, Hono, Bun, Deno, Cloudflare-like runtimes).
//
//   export const POST = webhookHandler({ receiver, onWebhook: async (webhook) => { … } });

const { receiverSource, receiverFor, readWebStream, deliver, refuse } = require('./lib/http.js');

const WHERE = 'webhookHandler';
const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/**
 * The status of a `Response` the handler returned, or `null`: with a guard, a handler that
 * returns a Response of status 400 or more failed (the core's rule): its claim is released
 * and that Response is sent.
 */
function responseStatus(result) {
  return result instanceof Response ? result.status : null;
}

/**
 * A fetch-style handler. Options: `receiver` (a WebhookReceiver or a function returning
 * one), `onWebhook(webhook, request)` (may return a Response to send instead of 200 "ok"),
 * `onError(error, request)`.
 */
function webhookHandler(options) {
  const getReceiver = receiverSource(options, WHERE);
  return async function kompliantWebhookHandler(request) {
    if (request.method !== 'POST') {
      return new Response('method not allowed', { status: 405, headers: { ...TEXT, allow: 'POST' } });
    }
    if (request.bodyUsed) {
      const err = new Error(
        'kompliant-webhooks/fetch: the request body was already read (request.json()/text()); ' +
          'pass the untouched Request to the webhook handler',
      );
      err.code = 'ERR_KOMPLIANT_PARSED_BODY';
      return respond(await refuse(err, options, [request]));
    }
    // The receiver for this request: a `receiver` function is called once.
    const source = await receiverFor(getReceiver, options, [request]);
    if (source.answer) return respond(source.answer);
    const body = await readWebStream(request.body, source.receiver.maxBodyBytes);
    const answer = await deliver(source.receiver, body, options, [request], responseStatus);
    if (answer.handlerResult instanceof Response) return answer.handlerResult;
    return respond(answer);
  };
}

/** A plain-text Response for an answer of lib/http.js. */
function respond(answer) {
  return new Response(answer.text, { status: answer.status, headers: TEXT });
}

module.exports = { webhookHandler, default: webhookHandler };
// `import x from` in TypeScript (esModuleInterop) gets the `default` export.
Object.defineProperty(module.exports, '__esModule', { value: true });
