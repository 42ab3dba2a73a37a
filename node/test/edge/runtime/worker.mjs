// The edge tests' receiver as a Cloudflare Worker (bundled with esbuild, run by workerd
// through miniflare: kompliant-webhooks/edge resolves to its workerd entry).
import { createApp } from './app.mjs';

const app = createApp();
export default { fetch: (request) => app(request) };
