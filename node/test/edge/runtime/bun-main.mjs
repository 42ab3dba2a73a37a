// The edge tests' receiver in Bun (Bun.serve on a free loopback port).
import { createApp } from './app.mjs';

const app = createApp();
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app, maxRequestBodySize: 64 * 1024 * 1024 });
console.log(`listening on http://127.0.0.1:${server.port}`);
