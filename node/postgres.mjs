// ESM entry point of kompliant-webhooks/postgres (the CommonJS module's objects).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./postgres.js');

export const PostgresGuard = m.PostgresGuard;
export const TransactionalPostgresGuard = m.TransactionalPostgresGuard;
export const DEFAULT_TABLE = m.DEFAULT_TABLE;
export const DEFAULT_RETENTION_SECONDS = m.DEFAULT_RETENTION_SECONDS;
export default m.default;
