// kompliant-webhooks/edge for Cloudflare Workers (workerd) and Next.js edge routes (edge-light).
import './init-module.mjs';

export * from './api.mjs';
