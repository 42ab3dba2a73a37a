// ESM entry point of kompliant-webhooks/fetch (the CommonJS module's objects).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./fetch.js');

export const webhookHandler = m.webhookHandler;
export default m.default;
