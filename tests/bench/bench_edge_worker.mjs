// The edge benchmark's Worker, run in workerd through miniflare by bench_edge_workerd.mjs (which
// times it: workerd's clocks stand still while a request computes, so a Worker cannot time
// itself). Routes:
//   POST /setup            body: key.json of tests/bench/fixtures.py → the receivers are made;
//                          answers their descriptions
//   POST /body?size=S      body: that size's webhook body, kept for /run
//   POST /check?size=S     body: that size's payload → 200 when every receiver gives it
//   POST /run?impl=I&size=S&n=N   N calls of receiver I on body S, one after another
import { Keyring, WebhookReceiver } from 'kompliant-webhooks/edge';
import { receivers, descriptionsOf, same } from './edge_common.mjs';

let impls;
const bodies = new Map();

async function route(request, url) {
  const size = url.searchParams.get('size');
  switch (url.pathname) {
    case '/setup':
      impls = await receivers({ Keyring, WebhookReceiver }, await request.json());
      return JSON.stringify(descriptionsOf(impls));
    case '/body':
      bodies.set(size, new Uint8Array(await request.arrayBuffer()));
      return `${bodies.get(size).length} bytes`;
    case '/check': {
      const expected = await request.json();
      for (const [name, { fn }] of Object.entries(impls)) {
        if (!same(await fn(bodies.get(size)), expected)) throw new Error(`${name} must give the fixture's payload (${size})`);
      }
      return 'same';
    }
    case '/run': {
      const { fn } = impls[url.searchParams.get('impl')];
      const body = bodies.get(size);
      const n = Number(url.searchParams.get('n'));
      for (let i = 0; i < n; i++) await fn(body);
      return String(n);
    }
    default:
      throw new Error(`no route ${url.pathname}`);
  }
}

export default {
  async fetch(request) {
    try {
      return new Response(await route(request, new URL(request.url)));
    } catch (err) {
      return new Response(String(err?.stack ?? err), { status: 500 });
    }
  },
};
