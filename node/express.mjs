// ESM entry point of kompliant-webhooks/express (the CommonJS module's objects).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./express.js');

export const webhookMiddleware = m.webhookMiddleware;
export default m.default;
