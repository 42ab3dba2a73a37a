// kompliant-webhooks/edge's lib/host.js (swapped in by scripts/build-edge.mjs): no Node
// built-in and no Node process. File paths reach the binding's file stubs, which refuse them
// with an IoError (src/binding.mjs); the environment is the runtime's `process.env` where it
// has one (Bun, Deno 2, Next.js), else `fromEnv` needs it passed in.

export const UNAVAILABLE = 'not available in kompliant-webhooks/edge';

/** A path or `file:` URL, unchanged: the edge binding has no file system and refuses it. */
export function filePath(path) {
  return path instanceof URL ? path.href : path;
}

/** The default environment of `fromEnv`: the runtime's `process.env`, if it has one. */
export function processEnv() {
  const env = globalThis.process?.env;
  if (typeof env === 'object' && env !== null) return env;
  throw new TypeError(
    `${UNAVAILABLE}: process.env (this runtime has none); pass the environment: ` +
      "Keyring.fromEnv(env) with a Worker's env, Deno.env.toObject() or Bun.env",
  );
}

/** A warning, on the console (there is no process.emitWarning). */
export function emitWarning(message, code) {
  console.warn(`kompliant-webhooks (${code}): ${message}`);
}

/** Debug logs are off on the edge (no NODE_DEBUG). */
export function debugLog() {}
