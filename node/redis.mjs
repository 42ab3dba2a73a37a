// ESM entry point of kompliant-webhooks/redis (the CommonJS module's objects).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./redis.js');

export const RedisGuard = m.RedisGuard;
export const DEFAULT_PREFIX = m.DEFAULT_PREFIX;
export const DEFAULT_RETENTION_SECONDS = m.DEFAULT_RETENTION_SECONDS;
export default m.default;
