// What the edge benchmark shares across the runtimes it runs in (tests/bench/bench_edge.mjs
// in Deno and Bun; bench_edge_workerd.mjs, with bench_edge_worker.mjs, in workerd): the sizes
// and the target, the receivers it times, and its report. The receivers:
//   sdkAsync     `(await receiver.decryptAsync(body)).payload`: the core's checks in
//                WebAssembly, AES-GCM on WebCrypto (what webhookHandler runs);
//   sdk          `receiver.decrypt(body).payload`: all in WebAssembly (ring's software AES);
//   handwritten  WebCrypto AES-GCM with the key imported once, JSON.parse of the body,
//                Uint8Array.fromBase64 (or atob) of `data`, the six fields joined by '|' as
//                AAD, JSON.parse of the plaintext.
// No runtime-specific API here: the caller passes the package's classes and the fixture key.

const td = new TextDecoder();
const te = new TextEncoder();

const fromBase64 =
  typeof Uint8Array.fromBase64 === 'function'
    ? (text) => Uint8Array.fromBase64(text)
    : (text) => {
        const bin = atob(text);
        const out = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
        return out;
      };

/**
 * `{ name: { fn(body) → Promise<payload>, description } }` over `Keyring` and
 * `WebhookReceiver` of kompliant-webhooks/edge, for `key` (`{ key_id, secret }` of
 * tests/bench/fixtures.py's key.json).
 */
export async function receivers({ Keyring, WebhookReceiver }, key) {
  const receiver = new WebhookReceiver(new Keyring({ [key.key_id]: key.secret }));
  const cryptoKey = await crypto.subtle.importKey('raw', fromBase64(key.secret), { name: 'AES-GCM' }, false, ['decrypt']);

  async function handwritten(body) {
    const env = JSON.parse(td.decode(body));
    const data = fromBase64(env.data);
    const additionalData = te.encode([env.id, env.event_type, env.timestamp, env.account_id, env.schema_version, env.key_id].join('|'));
    const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(0, 12), additionalData }, cryptoKey, data.subarray(12));
    return JSON.parse(td.decode(plaintext));
  }

  return {
    sdkAsync: {
      fn: async (body) => (await receiver.decryptAsync(body)).payload,
      description: 'kompliant-webhooks/edge: (await receiver.decryptAsync(body)).payload (core checks in WebAssembly, AES-GCM on WebCrypto; what webhookHandler runs)',
    },
    sdk: {
      fn: async (body) => receiver.decrypt(body).payload,
      description: "kompliant-webhooks/edge: receiver.decrypt(body).payload (synchronous, all in WebAssembly: ring's software AES-GCM)",
    },
    handwritten: {
      fn: handwritten,
      description:
        `WebCrypto: JSON.parse of the body, ${typeof Uint8Array.fromBase64 === 'function' ? 'Uint8Array.fromBase64' : 'atob'} of data, ` +
        "crypto.subtle.decrypt (AES-GCM, key imported once, the six fields joined by '|' as AAD), JSON.parse of the plaintext",
    },
  };
}

/** `{ name: description }` of the receivers `receivers` made (what `report` takes). */
export function descriptionsOf(impls) {
  return Object.fromEntries(Object.entries(impls).map(([name, { description }]) => [name, description]));
}

/** Deep equality of JSON values (the fixtures' payloads: objects, arrays, scalars). */
export function same(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
}

/** The value at fraction `p` of sorted numbers, interpolated. */
function percentile(sorted, p) {
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export const SIZES = ['1k', '16k', '256k', '4m'];
/** Issue 17: the WebCrypto path at least as fast as the hand-written receiver at 1 KiB; reported at every size. */
export const TARGETS = { 'handwritten/sdkAsync': { '1k': 1.0 } };

export const round2 = (x) => Math.round(x * 100) / 100;

/**
 * The report (tests/bench/report.py reads it) of `results` (per size, per receiver:
 * `{ median, p10, p90 }` in µs) for `runtime`, with `extra` (shipped size, leak check) merged
 * in; and its table for the console.
 */
export function report(runtime, descriptions, results, extra) {
  const names = Object.keys(descriptions);
  const pick = (field) => Object.fromEntries(names.map((n) => [n, Object.fromEntries(SIZES.map((s) => [s, round2(results[s][n][field])]))]));
  const ratio = (sdk) => Object.fromEntries(SIZES.map((s) => [s, round2(results[s].handwritten.median / results[s][sdk].median)]));
  const json = {
    language: `${runtime} (kompliant-webhooks/edge)`,
    implementations: descriptions,
    sizes: SIZES,
    median_us: pick('median'),
    p10_us: pick('p10'),
    p90_us: pick('p90'),
    ratios: { 'handwritten/sdkAsync': ratio('sdkAsync'), 'handwritten/sdk': ratio('sdk') },
    targets: TARGETS,
    ...extra,
  };
  const rows = [['size', 'decryptAsync µs', 'decrypt µs', 'WebCrypto hand-written µs', 'hand/decryptAsync', 'hand/decrypt']];
  for (const s of SIZES) {
    const cell = (n) => `${results[s][n].median.toFixed(1)} (${results[s][n].p10.toFixed(1)}–${results[s][n].p90.toFixed(1)})`;
    rows.push([s, cell('sdkAsync'), cell('sdk'), cell('handwritten'), `${json.ratios['handwritten/sdkAsync'][s].toFixed(2)}×`, `${json.ratios['handwritten/sdk'][s].toFixed(2)}×`]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  const table = [runtime, line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
  return { json, table };
}

/** `{ median, p10, p90 }` of per-call times. */
export function stats(perCall) {
  const sorted = [...perCall].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p10: percentile(sorted, 0.1), p90: percentile(sorted, 0.9) };
}
