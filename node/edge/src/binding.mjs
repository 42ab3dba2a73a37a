// kompliant-webhooks/edge's lib/native.js (swapped in by scripts/build-edge.mjs): the
// WebAssembly core (bindings/wasm, wasm-bindgen glue in ../wasm/) under the names and calling
// conventions of the napi binding, so node/lib runs unchanged over it. The glue is
// instantiated before this module runs (src/init-*.mjs). wasm-bindgen cannot export
// constants: the core's values come as functions (bindings/wasm/src/lib.rs lists them) and
// are read once here. What needs a file system throws an IoError saying so (the binding's
// own, or these stubs where it has none). Beyond napi's names: `openSealed`,
// `checkOpened` and `hostAead` (src/webcrypto.mjs), which WebhookReceiver.decryptAsync
// uses to run AES-GCM on the runtime's WebCrypto.
import * as glue from '../wasm/kompliant_webhooks.js';
export { hostAead } from './webcrypto.mjs';

/** An error the JavaScript layer turns into an `IoError` (lib/errors.js, fromNative). */
function unavailable(what, instead) {
  return () => {
    const message = `not available in kompliant-webhooks/edge: ${what} (no file system here), use ${instead}`;
    throw new Error(`KOMPLIANT_ERROR:${JSON.stringify({ kind: 'webhook', code: 'IO_ERROR', message })}`);
  };
}

const KEYS_INSTEAD = 'Keyring.fromJson, Keyring.fromEnv(env) or new Keyring({ keyId: secret }) with keys from your secret store';
if (typeof glue.Keyring.fromFile !== 'function') glue.Keyring.fromFile = unavailable('Keyring.fromFile', KEYS_INSTEAD);
if (typeof glue.Keyring.watch !== 'function') glue.Keyring.watch = unavailable('Keyring.watch', KEYS_INSTEAD);

export const WebhookReceiver = glue.WebhookReceiver;
export const decrypt = glue.decrypt;
export const decryptString = glue.decryptString;
export const shapeKeys = glue.shapeKeys;
export const openSealed = glue.openSealed;
export const openSealedString = glue.openSealedString;
export const checkOpened = glue.checkOpened;
export const parseEvent = glue.parseEvent;
export const payloadText = glue.payloadText;
export const Keyring = glue.Keyring;
export const httpAnswer = glue.httpAnswer;
export const errorCodes = glue.errorCodes;
export const handlerFailureAnswer = glue.handlerFailureAnswer;
export const profileNames = glue.profileNames;
export const MemoryGuard = glue.MemoryGuard;
export const GuardFlow = glue.GuardFlow;
export const claims = glue.claims;
export const claimOutcome = glue.claimOutcome;
export const handlerOutcome = glue.handlerOutcome;
export const handlerSucceeded = glue.handlerSucceeded;
export const redisMillis = glue.redisMillis;
export const seal = glue.seal;
export const SealedEnvelope = glue.SealedEnvelope;
export const generateSecret = glue.generateSecret;
export const addToKeyringFile =
  glue.addToKeyringFile ?? unavailable('addToKeyringFile', 'your secret store, and the Node entry or `kompliant keys rotate` for rotations');

// The core's constants: functions of the same name in the WebAssembly build (the list is at
// the top of bindings/wasm/src/lib.rs).
export const HANDLER_FAILURE_STATUS = glue.HANDLER_FAILURE_STATUS();
export const DEFAULT_CLAIM_LEASE_SECONDS = glue.DEFAULT_CLAIM_LEASE_SECONDS();
export const DEFAULT_COMPLETED_RETENTION_SECONDS = glue.DEFAULT_COMPLETED_RETENTION_SECONDS();
