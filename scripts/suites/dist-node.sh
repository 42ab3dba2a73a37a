# The npm install tests of scripts/test dist (sourced by scripts/test; dist_check_node is
# called by suite_dist in dist.sh). With cargo and rustc absent from PATH ($DIST_NO_RUST_PATH),
# from the tarballs in dist/npm/ (scripts/package node):
#   (a) x86_64: a fresh npm project installs the main package, npm picks the linux-x64-gnu
#       package from its optionalDependencies (resolved to dist/ tarballs by `overrides`), the
#       install is timed, and the conformance vectors run against node_modules;
#   (b) the same project installed for --cpu=wasm32 (npm swaps linux-x64-gnu for the
#       wasm32-wasi package): the loader falls back to it by itself, and the vectors run
#       forced onto it (NAPI_RS_FORCE_WASI=error: WebAssembly or nothing);
#   (c) aarch64 for real: the project installed on the host for arm64 (npm --cpu/--os/--libc)
#       into the emulated arm64 Debian root (arm64-common.sh), the vectors run by its Node;
#   (d) kompliant-webhooks/edge from the installed main tarball: Deno and Bun (the edge
#       suite's runtimes, KOMPLIANT_EDGE_TOOLS) seal, decrypt (decrypt and decryptAsync) and
#       serve webhooks through
#       node_modules/kompliant-webhooks/edge, and tsc compiles an edge usage against the
#       installed types with no @types/node.
# Each run also checks WHICH binary was loaded (the platform package's .node, or the wasm
# package), so a fallback can never pass for the package under test.

dist_check_node() {
  local rc=0
  dist_node_host_and_wasm || rc=1
  dist_node_arm64 || rc=1
  dist_node_edge || rc=1
  return "$rc"
}

# The main tarball and the platform tarball names in dist/npm/; fails clearly if missing.
dist_node_tarball() {
  local file="$DIST/npm/$1-$VERSION.tgz"
  [ -f "$file" ] || { echo "dist node: $file is missing (scripts/package node)" >&2; return 1; }
  echo "$file"
}

# Writes a fresh npm project into $1: package.json depending on the main tarball, with
# `overrides` sending every platform package to its tarball in $2 (a directory holding copies
# of dist/npm's tarballs, referenced relative to the project when $3 is "relative"); the
# vectors test (node/test/vectors.test.js, made to require the installed package), a test
# that the binding came from $KOMPLIANT_EXPECT_BINDING, and the platform differences a user
# meets (secret file modes, buffers).
dist_node_project() {
  local app=$1 tarballs=$2 mode=${3:-absolute}
  mkdir -p "$app/test"
  node -e '
    const fs = require("fs"), path = require("path");
    const [app, dir, version, mode] = process.argv.slice(1);
    const spec = (f) => "file:" + (mode === "relative" ? path.relative(app, path.join(dir, f)) : path.join(dir, f));
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(`-${version}.tgz`));
    const main = `kompliant-webhooks-${version}.tgz`;
    if (!files.includes(main)) throw new Error(`${main} missing in ${dir}`);
    const overrides = Object.fromEntries(files.filter((f) => f !== main).map((f) => [f.slice(0, -`-${version}.tgz`.length), spec(f)]));
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({
      name: "dist-node-app", version: "1.0.0", private: true,
      dependencies: { "kompliant-webhooks": spec(main) },
      overrides,
    }, null, 2) + "\n");
  ' "$app" "$tarballs" "$VERSION" "$mode" || return 1
  cp "$ROOT/tests/vectors/webhooks.json" "$app/test/webhooks.json"
  # The suite's own vector test, pointed at the installed package and the copied vectors.
  sed -e "s|require('..')|require('kompliant-webhooks')|" \
    -e "s|const { VECTORS } = require('./helpers.js');|const VECTORS = require('node:path').join(__dirname, 'webhooks.json');|" \
    "$ROOT/node/test/vectors.test.js" >"$app/test/vectors.test.js"
  if ! grep -q "require('kompliant-webhooks')" "$app/test/vectors.test.js" || grep -q "helpers.js\|require('..')" "$app/test/vectors.test.js"; then
    echo "dist node: node/test/vectors.test.js changed shape; update dist_node_project" >&2
    return 1
  fi
  cat >"$app/test/binding.test.js" <<'EOF'
'use strict';
// The package loaded the binary under test: $KOMPLIANT_EXPECT_BINDING (a path ending inside
// node_modules), and no other native or WebAssembly module.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

test('binding: loaded from the package under test', () => {
  const k = require('kompliant-webhooks');
  assert.equal(k.ERROR_CODES.length > 0, true);
  const want = process.env.KOMPLIANT_EXPECT_BINDING;
  assert.ok(want, 'KOMPLIANT_EXPECT_BINDING is not set');
  const loaded = Object.keys(require.cache).filter((f) => /\.node$|\.wasi\.cjs$/.test(f));
  assert.deepEqual(loaded.map((f) => path.relative(path.join(__dirname, '..'), f)), [want]);
  console.log(`binding: ${want}`);
});
EOF
  cat >"$app/test/platform.test.js" <<'EOF'
'use strict';
// What differs between the native and the WebAssembly builds, checked where it matters to a
// user: secret files are written owner-only or not at all (WASI has no file modes), and a
// sealed body is an ordinary Buffer that fetch accepts (not a view of wasm's shared memory).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const k = require('kompliant-webhooks');

const wasm = String(process.env.KOMPLIANT_EXPECT_BINDING).endsWith('.wasi.cjs');

test(`platform: addToKeyringFile ${wasm ? 'refuses on WASI and writes nothing' : 'writes mode 0600'}`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kompliant-dist-'));
  const file = path.join(dir, 'keys.json');
  try {
    const write = k.addToKeyringFile(file, 'whk_20251121_01', k.generateWebhookSecret());
    if (wasm) {
      await assert.rejects(write, (e) => e instanceof k.KompliantError && e.code === 'IO_ERROR' && /WASI/.test(e.message));
      assert.deepEqual(fs.readdirSync(dir), []);
    } else {
      await write;
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.ok(k.Keyring.fromFile(file).keyIds().includes('whk_20251121_01'));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('platform: a sealed body is a plain Buffer that fetch accepts, and it opens', async () => {
  const secret = k.generateWebhookSecret();
  const meta = { id: 'wh_dist', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T00:00:00Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: 'whk_20251121_01' };
  const body = k.sealWebhook(meta, { version: '1.0' }, secret).body(0);
  assert.ok(Buffer.isBuffer(body));
  assert.ok(!(body.buffer instanceof SharedArrayBuffer));
  const bytes = Buffer.from(await new Response(body).arrayBuffer());
  const w = new k.WebhookReceiver(new k.Keyring({ whk_20251121_01: secret })).decrypt(bytes);
  assert.equal(w.id, 'wh_dist');
  assert.deepEqual(w.payload, { version: '1.0' });
});
EOF
}

# Runs the vectors and the binding check in $1 (node --test, TAP into $1/tap), with the
# environment assignments in the remaining arguments; prints "passed/total".
dist_node_run() {
  local app=$1
  shift
  (cd "$app" && env PATH="$DIST_NO_RUST_PATH" "$@" node --test --test-reporter=tap test/ >"$app/tap" 2>"$app/stderr")
  local status=$?
  dist_node_count "$app/tap" "$status"
}

# "passed/total" vectors from the TAP file $1; non-zero when the run ($2) failed, any test
# failed, or the binding check did not pass.
dist_node_count() {
  local tap=$1 status=$2 vectors total fail
  total=$(vector_total)
  vectors=$(grep -E '^ *ok [0-9]+ - vector: ' "$tap" | grep -cvE '# (SKIP|TODO)' || true)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  echo "$vectors/$total"
  if [ "$status" != 0 ] || [ "$fail" != 0 ] || [ "$vectors" != "$total" ] || ! grep -qE '^ *ok [0-9]+ - binding: ' "$tap"; then
    grep -E '^ *not ok|# binding|Error|error' "$tap" | head -20 >&2
    return 1
  fi
}

# (a) and (b): x86_64 native package, then the wasm fallback, in one fresh project.
dist_node_host_and_wasm() {
  local tmp app main platform wasm secs counts rc=0 node_version
  main=$(dist_node_tarball kompliant-webhooks) && platform=$(dist_node_tarball kompliant-webhooks-linux-x64-gnu) &&
    wasm=$(dist_node_tarball kompliant-webhooks-wasm32-wasi) || {
    SUMMARY+=("dist: npm on x86_64: FAIL - tarballs missing in dist/npm (scripts/package node)")
    return 1
  }
  node_version=$(node --version)
  tmp=$(mktemp -d)
  app="$tmp/app"
  dist_node_project "$app" "$DIST/npm" || { rm -rf "$tmp"; SUMMARY+=("dist: npm on x86_64: FAIL - could not write the test project"); return 1; }

  step "dist: npm install of the main package + linux-x64-gnu from dist/npm (no cargo on PATH)"
  secs=$(cd "$app" && PATH="$DIST_NO_RUST_PATH" dist_time npm install --no-audit --no-fund --prefer-offline) || rc=1
  local installed
  installed=$(cd "$app/node_modules" && ls -d kompliant-webhooks* | tr '\n' ' ')
  echo "dist node: installed: $installed" >&2
  if [ "$rc" = 0 ] && [ "$installed" != "kompliant-webhooks kompliant-webhooks-linux-x64-gnu " ]; then
    echo "dist node: npm installed '$installed'; expected the main package and linux-x64-gnu only" >&2
    rc=1
  fi
  if [ -e "$app/node_modules/kompliant-webhooks/kompliant-webhooks.linux-x64-gnu.node" ] || [ -d "$app/node_modules/kompliant-webhooks/native/target" ]; then
    echo "dist node: the install built or placed a native module in the main package" >&2
    rc=1
  fi
  counts="0/$(vector_total)"
  if [ "$rc" = 0 ]; then
    step "dist: the conformance vectors against the installed linux-x64-gnu package"
    counts=$(dist_node_run "$app" KOMPLIANT_EXPECT_BINDING=node_modules/kompliant-webhooks-linux-x64-gnu/kompliant-webhooks.linux-x64-gnu.node) || rc=1
  fi
  dist_figure npm-install-seconds "${secs:-?}"
  dist_node_sizes
  SUMMARY+=("dist: npm $(basename "$main") + kompliant-webhooks-linux-x64-gnu on x86_64 (Node $node_version, no cargo): $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $counts vectors, installed in ${secs:-?}s")
  local rc_a=$rc
  rc=0

  # (b) The wasm package has cpu "wasm32": npm installs it for that cpu, as a WebContainer's
  # npm does, and then leaves out the x64 package (npm takes one cpu at a time). Without the
  # native package the loader must fall back to WebAssembly by itself; then the vectors run
  # with NAPI_RS_FORCE_WASI=error (WebAssembly or nothing).
  step "dist: the wasm32-wasi fallback in the same project (npm install --cpu=wasm32), vectors with NAPI_RS_FORCE_WASI=error"
  local wsecs
  wsecs=$(cd "$app" && PATH="$DIST_NO_RUST_PATH" dist_time npm install --no-audit --no-fund --prefer-offline --cpu=wasm32) || rc=1
  installed=$(cd "$app/node_modules" && ls -d kompliant-webhooks* | tr '\n' ' ')
  echo "dist node: installed for wasm32: $installed" >&2
  if [ "$rc" = 0 ] && [ "$installed" != "kompliant-webhooks kompliant-webhooks-wasm32-wasi " ]; then
    echo "dist node: npm installed '$installed' for --cpu=wasm32; expected the main package and wasm32-wasi only" >&2
    rc=1
  fi
  counts="0/$(vector_total)"
  if [ "$rc" = 0 ]; then
    (cd "$app" && PATH="$DIST_NO_RUST_PATH" node -e '
      require("kompliant-webhooks");
      const loaded = Object.keys(require.cache).filter((f) => /\.node$|\.wasi\.cjs$/.test(f));
      if (loaded.length !== 1 || !loaded[0].endsWith("node_modules/kompliant-webhooks-wasm32-wasi/kompliant-webhooks.wasi.cjs")) {
        console.error("dist node: without a native package the loader did not fall back to WebAssembly:", loaded);
        process.exit(1);
      }
      console.error("dist node: no native package: the loader fell back to WebAssembly");
    ') || rc=1
    counts=$(dist_node_run "$app" NAPI_RS_FORCE_WASI=error \
      KOMPLIANT_EXPECT_BINDING=node_modules/kompliant-webhooks-wasm32-wasi/kompliant-webhooks.wasi.cjs) || rc=1
  fi
  dist_figure npm-install-wasm-seconds "${wsecs:-?}"
  SUMMARY+=("dist: npm $(basename "$main") + kompliant-webhooks-wasm32-wasi on x86_64 (Node $node_version, NAPI_RS_FORCE_WASI=error, no cargo): $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $counts vectors, npm install --cpu=wasm32 in ${wsecs:-?}s")
  [ "$rc" = 0 ] && [ "$rc_a" = 0 ] && rm -rf "$tmp"
  [ "$rc" = 0 ] || [ "$rc_a" = 0 ] || echo "dist node: project kept for inspection: $app" >&2
  [ "$rc" = 0 ] && [ "$rc_a" = 0 ]
}

# Figures: the size of every npm tarball and of the unpacked native module (KiB).
dist_node_sizes() {
  local f
  for f in "$DIST"/npm/*.tgz; do
    dist_figure "npm-size-kib $(basename "$f")" "$(du -k --apparent-size "$f" | cut -f1)"
  done
}

# (c) aarch64: installed on the host for arm64/linux/glibc into the emulated root, run there.
dist_node_arm64() {
  local main stage counts rc=0 installed secs
  main=$(dist_node_tarball kompliant-webhooks) && dist_node_tarball kompliant-webhooks-linux-arm64-gnu >/dev/null || {
    SUMMARY+=("dist: npm on aarch64: FAIL - tarballs missing in dist/npm (scripts/package node)")
    return 1
  }
  # Another run may be building the root right now: never start a second debootstrap.
  local waited=0
  while [ -e "$ARM64_ROOT.partial" ] && [ ! -f "$ARM64_ROOT/$ARM64_MARKER" ] && [ "$waited" -lt 1800 ]; do
    [ "$waited" = 0 ] && step "dist: waiting for the arm64 root being built ($ARM64_ROOT.partial)"
    sleep 15
    waited=$((waited + 15))
  done
  arm64_root_ensure || { SUMMARY+=("dist: npm on aarch64: FAIL - no emulated arm64 root (see above)"); return 1; }
  stage=$(arm64_stage_dir) || { SUMMARY+=("dist: npm on aarch64: FAIL - cannot stage into $ARM64_ROOT"); return 1; }
  mkdir -p "$stage/tarballs"
  cp "$DIST"/npm/*-"$VERSION".tgz "$stage/tarballs/"
  dist_node_project "$stage/app" "$stage/tarballs" relative || { SUMMARY+=("dist: npm on aarch64: FAIL - could not write the test project"); return 1; }
  step "dist: npm install --cpu=arm64 --os=linux --libc=glibc on the host, into the arm64 root"
  secs=$(cd "$stage/app" && PATH="$DIST_NO_RUST_PATH" dist_time npm install --no-audit --no-fund --prefer-offline \
    --cpu=arm64 --os=linux --libc=glibc) || rc=1
  installed=$(cd "$stage/app/node_modules" 2>/dev/null && ls -d kompliant-webhooks* | tr '\n' ' ')
  if [ "$rc" = 0 ] && [ "$installed" != "kompliant-webhooks kompliant-webhooks-linux-arm64-gnu " ]; then
    echo "dist node: npm installed '$installed' for arm64; expected the main package and linux-arm64-gnu only" >&2
    rc=1
  fi
  counts="0/$(vector_total)"
  local where="aarch64 (emulated)"
  if [ "$rc" = 0 ]; then
    where=$(arm64_describe)
    step "dist: the conformance vectors inside the arm64 root ($where)"
    arm64_run "cd $ARM64_WORK/app && uname -m >arch && KOMPLIANT_EXPECT_BINDING=node_modules/kompliant-webhooks-linux-arm64-gnu/kompliant-webhooks.linux-arm64-gnu.node node --test --test-reporter=tap test/ >tap 2>stderr"
    local status=$?
    counts=$(dist_node_count "$stage/app/tap" "$status") || rc=1
    [ "$(cat "$stage/app/arch" 2>/dev/null)" = aarch64 ] || { echo "dist node: the arm64 root did not run as aarch64" >&2; rc=1; }
  fi
  dist_figure npm-install-arm64-seconds "${secs:-?}"
  SUMMARY+=("dist: npm $(basename "$main") + kompliant-webhooks-linux-arm64-gnu on $where, no cargo: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $counts vectors, installed on the host in ${secs:-?}s")
  return "$rc"
}

# (d) The edge entry as the main tarball ships it: a fresh project installs the tarballs, then
# edge-check.mjs runs in Deno and in Bun (each resolving kompliant-webhooks/edge through the
# installed package's export conditions to node_modules/kompliant-webhooks/edge/index.mjs and
# its .wasm), and tsc compiles edge-usage.mts against the installed types with "types": [].
dist_node_edge() {
  local tmp app rc=0 runtime results=() tsc_result="tsc FAIL"
  dist_node_tarball kompliant-webhooks >/dev/null || {
    SUMMARY+=("dist: npm kompliant-webhooks/edge: FAIL - tarballs missing in dist/npm (scripts/package node)")
    return 1
  }
  step "dist: the edge runtimes (deno, bun from node/test/edge/tools) in $KOMPLIANT_EDGE_TOOLS"
  edge_tools_install || { SUMMARY+=("dist: npm kompliant-webhooks/edge: FAIL - installing the runtimes failed"); return 1; }
  tmp=$(mktemp -d)
  app="$tmp/app"
  dist_node_project "$app" "$DIST/npm" || { rm -rf "$tmp"; SUMMARY+=("dist: npm kompliant-webhooks/edge: FAIL - could not write the test project"); return 1; }
  (cd "$app" && PATH="$DIST_NO_RUST_PATH" npm install --no-audit --no-fund --prefer-offline) >&2 ||
    { rm -rf "$tmp"; SUMMARY+=("dist: npm kompliant-webhooks/edge: FAIL - npm install of the tarballs failed"); return 1; }
  dist_node_edge_files "$app"

  for runtime in deno bun; do
    step "dist: kompliant-webhooks/edge from the installed tarball in $runtime"
    local cmd=("$KOMPLIANT_EDGE_TOOLS/node_modules/.bin/$runtime")
    [ "$runtime" = deno ] && cmd+=(run --quiet --allow-read --allow-env)
    if (cd "$app" && PATH="$DIST_NO_RUST_PATH" "${cmd[@]}" edge-check.mjs) >"$app/$runtime.out" 2>&1; then
      cat "$app/$runtime.out" >&2
      results+=("$(tail -1 "$app/$runtime.out")")
    else
      cat "$app/$runtime.out" >&2
      results+=("$runtime FAIL")
      rc=1
    fi
  done

  step "dist: tsc on an edge usage against the installed types, no @types/node (\"types\": [], lib es2022 + dom)"
  if (cd "$ROOT/node" && npx --no-install tsc -p "$app/tsconfig.edge.json") >&2; then
    tsc_result="tsc clean with no @types/node"
  else
    rc=1
  fi
  local joined
  joined=$(printf '%s; ' "${results[@]}")
  SUMMARY+=("dist: npm kompliant-webhooks/edge from the installed main tarball: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $joined$tsc_result")
  if [ "$rc" = 0 ]; then rm -rf "$tmp"; else echo "dist node: edge project kept for inspection: $app" >&2; fi
  return "$rc"
}

# Writes the edge checks into the project $1: edge-check.mjs (run by Deno and Bun) and
# edge-usage.mts with its tsconfig.
dist_node_edge_files() {
  local app=$1
  cat >"$app/edge-check.mjs" <<'EOF2'
// kompliant-webhooks/edge from node_modules, in Deno or Bun: the bundle, its wasm core and
// the fetch handler as a user's runtime loads them.
import {
  Keyring, WebhookReceiver, MemoryGuard, IoError, DecryptionError, sealWebhook, generateWebhookSecret, webhookHandler,
} from 'kompliant-webhooks/edge';

const runtime = typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : typeof Bun !== 'undefined' ? `bun ${Bun.version}` : 'unknown';
const check = (ok, what) => { if (!ok) throw new Error(`${runtime}: ${what}`); };

const entry = import.meta.resolve('kompliant-webhooks/edge');
check(entry.endsWith('/node_modules/kompliant-webhooks/edge/index.mjs'), `kompliant-webhooks/edge resolved to ${entry}`);

const secret = generateWebhookSecret();
const meta = (id, keyId = 'whk_20251121_01') => ({ id, eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T00:00:00Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId });
const payload = { version: '1.0', workflow_id: 'w_1', amount: 42.5, tags: ['a', 'é'] };
const body = sealWebhook(meta('wh_edge_1'), payload, secret).body(0);
check(body instanceof Uint8Array, 'a sealed body is a Uint8Array');

const receiver = new WebhookReceiver(new Keyring({ whk_20251121_01: secret }));
const webhook = receiver.decrypt(body);
check(webhook.id === 'wh_edge_1' && webhook.keyId === 'whk_20251121_01', 'decrypt gives the metadata');
check(JSON.stringify(webhook.payload) === JSON.stringify(payload), `decrypt gives the payload (${webhook.payloadText})`);
const forged = sealWebhook(meta('wh_edge_2'), payload, generateWebhookSecret()).body(0);
let refused;
try { receiver.decrypt(forged); } catch (err) { refused = err; }
check(refused instanceof DecryptionError && refused.code === 'DECRYPTION_FAILED' && refused.httpStatus === 400, `a forged body is a DecryptionError (${refused})`);
// decryptAsync (AES-GCM on the runtime's WebCrypto): what decrypt gives, and the same refusal.
const viaWebCrypto = await receiver.decryptAsync(body);
check(viaWebCrypto.id === 'wh_edge_1' && viaWebCrypto.payloadText === webhook.payloadText, 'decryptAsync gives what decrypt gives');
let rejected;
try { await receiver.decryptAsync(forged); } catch (err) { rejected = err; }
check(rejected instanceof DecryptionError && rejected.code === 'DECRYPTION_FAILED', `decryptAsync rejects a forged body with a DecryptionError (${rejected})`);
let noFs;
try { Keyring.fromFile('keys.json'); } catch (err) { noFs = err; }
check(noFs instanceof IoError && noFs.code === 'IO_ERROR', `Keyring.fromFile is an IoError (${noFs})`);

const seen = [], refusals = [];
const handler = webhookHandler({
  receiver,
  guard: new MemoryGuard(),
  onWebhook: async (w) => { seen.push([w.id, w.payload.amount]); },
  onError: (err) => { refusals.push(err.code); },
});
const post = (bytes) => handler(new Request('http://127.0.0.1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes }));
const answers = [];
for (const [bytes, want] of [[body, 200], [body, 200], [forged, 400], [sealWebhook(meta('wh_edge_3', 'whk_20251121_09'), payload, secret).body(0), 503]]) {
  const response = await post(bytes);
  answers.push(response.status);
  check(response.status === want, `webhookHandler answered ${response.status}, not ${want}: ${await response.text()}`);
}
const get = await handler(new Request('http://127.0.0.1/webhooks'));
check(get.status === 405, `a GET is answered ${get.status}, not 405`);
check(JSON.stringify(seen) === JSON.stringify([['wh_edge_1', 42.5]]), `onWebhook ran once for the delivery and not for its duplicate: ${JSON.stringify(seen)}`);
check(JSON.stringify(refusals) === '["DECRYPTION_FAILED","UNKNOWN_KEY"]', `onError saw ${JSON.stringify(refusals)}`);
console.log(`${runtime}: sealed, decrypt and decryptAsync opened it and refused a forged body, webhookHandler ${answers.join('/')}, GET 405, duplicate not re-run`);
EOF2
  cat >"$app/edge-usage.mts" <<'EOF2'
// An edge project's use of the installed types: no @types/node ("types": []).
import { Keyring, WebhookReceiver, sealWebhook, webhookHandler, type Webhook } from 'kompliant-webhooks/edge';

const secret = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const receiver = new WebhookReceiver(new Keyring({ whk_20251121_01: secret }));
const body: Uint8Array = sealWebhook(
  { id: 'wh_1', eventType: 'WORKFLOW_CREATED', timestamp: '2025-11-21T00:00:00Z', accountId: 'sb_1', schemaVersion: '2025-11-21', keyId: 'whk_20251121_01' },
  { version: '1.0' },
  secret,
).body(0);
export const opened: Promise<Webhook> = receiver.decryptAsync(body);
export const POST: (request: Request) => Promise<Response> = webhookHandler({ receiver, onWebhook: async (webhook: Webhook) => new Response(webhook.id) });
// @ts-expect-error no Node types in this project: Buffer is not declared
export const nodeOnly: Buffer | undefined = undefined;
// @ts-expect-error no API client in the edge entry
import type { KompliantClient } from 'kompliant-webhooks/edge';
EOF2
  cat >"$app/tsconfig.edge.json" <<'EOF2'
{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "es2022", "lib": ["es2022", "dom"],
    "module": "nodenext", "moduleResolution": "nodenext", "types": [], "skipLibCheck": false
  },
  "files": ["edge-usage.mts"]
}
EOF2
}
