'use strict';
// kompliant-webhooks/fastify: a Fastify plugin that registers one POST route, keeps the raw
// body (its own content-type parser, in the plugin's encapsulated scope only), decrypts it,
// hands your handler a Webhook and answers with the suggested status.
//
//   fastify.register(webhookPlugin, { path: '/webhooks', receiver, onWebhook: async (webhook) => { … } });

const { receiverSource, receiverFor, readNodeStream, deliver } = require('./lib/http.js');

const WHERE = 'webhookPlugin';

/**
 * The status of the reply the handler sent itself (`reply.statusCode` once `reply.sent`), or
 * `null`: with a guard, a handler that answered 400 or more failed (the core's rule) and its
 * claim is released.
 */
function sentStatus(result, request, reply) {
  return reply.sent ? reply.statusCode : null;
}

/**
 * Fastify plugin options: `path` (default `/webhooks`, under the register prefix),
 * `receiver` (a WebhookReceiver or a function returning one), `onWebhook(webhook, request,
 * reply)` and `onError(error, request, reply)` as for the Express middleware.
 */
function webhookPlugin(fastify, options, done) {
  let getReceiver;
  try {
    getReceiver = receiverSource(options, WHERE);
  } catch (err) {
    done(err);
    return;
  }
  const path = options.path ?? '/webhooks';
  // This plugin's scope only: every body reaches the route as the raw stream.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, parsed) => parsed(null, payload));
  fastify.post(path, async (request, reply) => {
    // The receiver for this request: a `receiver` function is called once.
    const source = await receiverFor(getReceiver, options, [request, reply]);
    let answer = source.answer;
    if (!answer) {
      const raw = request.body;
      const body = raw && typeof raw.on === 'function' ? await readNodeStream(raw, source.receiver.maxBodyBytes) : Buffer.alloc(0);
      answer = await deliver(source.receiver, body, options, [request, reply], sentStatus);
    }
    if (reply.sent) return reply;
    if (answer.status === 413) reply.header('Connection', 'close');
    return reply.code(answer.status).type('text/plain; charset=utf-8').send(answer.text);
  });
  done();
}

module.exports = { webhookPlugin, default: webhookPlugin };
// `import x from` in TypeScript (esModuleInterop) gets the `default` export.
Object.defineProperty(module.exports, '__esModule', { value: true });
