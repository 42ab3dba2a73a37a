// kompliant-webhooks/edge for Next.js edge routes and Vercel Edge Functions (the `edge-light`
// export condition).
import './init-edge-light.mjs';

export * from './api.mjs';
