// kompliant-webhooks/edge for Cloudflare Workers (workerd).
import './init-module.mjs';

export * from './api.mjs';
