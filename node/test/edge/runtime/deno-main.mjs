// The edge tests' receiver in Deno (Deno.serve on a free loopback port).
import { createApp } from './app.mjs';

const app = createApp();
Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) }, app);
