// The edge tests' receiver (runtime/app.mjs, copied beside app/ by the test) as a Next.js App
// Router route handler on the edge runtime: every path no other route takes (/webhook, /vectors,
// /control/...) reaches it, so the receiver, its keyring and what it received are one module's
// state, as in the other runtimes. docs/edge.md's route handler is added at its own path.
import { createApp } from '../../runtime/app.mjs';

export const runtime = 'edge';

const app = createApp();

export const GET = (request) => app(request);
export const POST = (request) => app(request);
