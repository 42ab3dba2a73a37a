// ESM entry point of kompliant-webhooks/fastify (the CommonJS module's objects).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./fastify.js');

export const webhookPlugin = m.webhookPlugin;
export default m.default;
