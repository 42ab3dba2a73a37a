# The Node suite: npm dependencies (cached by package-lock hash), the native module built with
# @napi-rs/cli, the binding crate's Rust unit tests, then `node --test` (every conformance
# vector, the API, the Error classes, ESM and CommonJS entry points, the Express / Fastify /
# fetch middlewares over real HTTP on loopback, the duplicate guards and RedisGuard (node-redis
# and ioredis) against a private redis-server (scripts/suites/redis-common.sh), the client and an end-to-end run through
# examples/node-receiver against `kompliant sim`), `tsc --noEmit --strict` on a typed usage
# file, and finally `npm pack` → `npm install <tarball>` into a temporary project, which
# builds the native module from source with cargo, then require() and import of the
# installed package. Sourced by scripts/test.
#
# Caches: node_modules (reinstalled only when package-lock.json changes) and cargo's target/.
# The tarball's from-source build also uses target/ (KOMPLIANT_WEBHOOKS_TARGET_DIR): its
# registry dependencies are the ones `npm run build` just compiled with the same profile, so
# only the two vendored crates compile (~40 s instead of 3-4 min). Its cdylib lands on the
# same file name as the workspace build's, from the same sources, which is harmless.

suite_node() {
  local start=$SECONDS tap="$TOOLS/node-test.tap" rc=0
  node_toolchain || { SUMMARY+=("node: FAIL - Node.js >= 20 with npm, and cargo, are needed"); return 1; }

  step "node: npm dependencies of node/ (npm ci when package-lock.json changed)"
  npm_ci_cached "$ROOT/node" || return 1
  step "node: native module (napi build --platform --release)"
  (cd "$ROOT/node" && npm run --silent build) || return 1
  step "node: Rust unit tests of the binding crate (cargo test -p kompliant-webhooks-node)"
  cargo test --locked -p kompliant-webhooks-node 2>&1 | tee "$TOOLS/node-cargo-test.log" | grep -E '^test |^test result' >&2
  [ "${PIPESTATUS[0]}" = 0 ] || return 1
  local rust_counts
  rust_counts=$(cargo_counts "$TOOLS/node-cargo-test.log")
  step "node: the simulator (cargo build -p kompliant-cli) and the example receiver's dependencies"
  cargo build --locked -q -p kompliant-cli || return 1
  npm_ci_cached "$ROOT/examples/node-receiver" || return 1

  step "node: the benchmark fixtures (tests/bench/fixtures.py), which a payload test decrypts"
  "$(tools_python)" "$ROOT/tests/bench/fixtures.py" "$ROOT/target/bench/fixtures" || return 1

  step "node: node --test (with a private redis-server for the RedisGuard tests)"
  redis_with_server node_run_tests "$tap" || rc=1
  local pass fail vectors vector_total
  pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  vectors=$(grep -cE '^ *ok [0-9]+ - vector: ' "$tap" || true)
  vector_total=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$ROOT/tests/vectors/webhooks.json")
  [ -n "$pass" ] || { pass=0; rc=1; }
  [ "$vectors" = "$vector_total" ] || rc=1

  step "node: tsc --noEmit --strict on test/types (the typed usage of index.d.ts and the middlewares)"
  local tsc="tsc strict clean"
  (cd "$ROOT/node" && npx --no-install tsc -p test/types/tsconfig.json --noEmit --strict) || { tsc="tsc FAILED"; rc=1; }

  step "node: npm pack → npm install <tarball> in a temporary project (builds from source) → require and import"
  local pack="packed tarball builds from source"
  node_pack_check || { pack="packed tarball FAILED"; rc=1; }
  step "node: a per-platform prebuilt package (napi create-npm-dirs + napi artifacts) installs without building"
  local prebuilt="prebuilt package installs"
  node_prebuilt_check || { prebuilt="prebuilt package FAILED"; rc=1; }

  SUMMARY+=("node: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - ${pass:-0} passed, ${fail:-?} failed (vectors $vectors/$vector_total, middleware over HTTP, sim integration; binding crate: ${rust_counts%, * ignored}; $tsc, $pack, $prebuilt) in $((SECONDS - start))s")
  return "$rc"
}

# node --test over test/, TAP into $1 (KOMPLIANT_TEST_REDIS_URL set by redis_with_server).
node_run_tests() {
  [ -n "${KOMPLIANT_TEST_REDIS_URL:-}" ] || { echo "node: no redis-server for the guard tests" >&2; return 1; }
  (cd "$ROOT/node" && KOMPLIANT_BIN="$ROOT/target/debug/kompliant" node --test --test-timeout=300000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$1" \
    test/*.test.js test/*.test.mjs)
}

node_toolchain() {
  command -v node >/dev/null && command -v npm >/dev/null && command -v cargo >/dev/null || {
    echo "node: needs node (>= 20), npm and cargo on PATH" >&2
    return 1
  }
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || {
    echo "node: Node.js $(node --version) is too old (>= 20 needed)" >&2
    return 1
  }
}

# `npm ci` in $1 unless node_modules already matches its package-lock.json.
npm_ci_cached() {
  local dir=$1 want stamp
  stamp="$dir/node_modules/.kompliant-lock-sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$(basename "$dir"): node_modules is current" >&2
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline) >&2 || return 1
  echo "$want" >"$stamp"
}

# Packs node/ (prepack vendors the Rust sources), installs the tarball into a fresh project
# the way a user would (install scripts approved: npm 11 blocks them by default), and checks
# that the native module was built from source and that require() and import work.
node_pack_check() {
  local tmp tarball rc=0
  tmp=$(mktemp -d)
  (cd "$ROOT/node" && npm pack --silent --pack-destination "$tmp") >"$tmp/pack.out" || { rm -rf "$tmp"; return 1; }
  tarball="$tmp/$(tail -1 "$tmp/pack.out")"
  tar -tzf "$tarball" >"$tmp/contents"
  if grep -q '\.node$' "$tmp/contents"; then
    echo "node: the tarball ships a prebuilt .node; it must build from source" >&2
    rm -rf "$tmp"; return 1
  fi
  for f in package/native/Cargo.toml package/native/Cargo.lock package/native/core/Cargo.toml package/native/core/src/lib.rs package/index.d.ts package/express.mjs; do
    grep -qx "$f" "$tmp/contents" || { echo "node: $f missing from the tarball" >&2; rc=1; }
  done
  mkdir "$tmp/app"
  # The user's side: approve the package's install script in allowScripts (npm 11 warns about
  # unapproved dependency install scripts, and refuses them with --strict-allow-scripts; a
  # tarball is approved by its file: spec, a registry package by name; older npm ignores the
  # field), then install the tarball.
  printf '{ "name": "app", "version": "1.0.0", "private": true, "allowScripts": { "file:%s": true } }\n' "$tarball" >"$tmp/app/package.json"
  (
    cd "$tmp/app" && KOMPLIANT_WEBHOOKS_TARGET_DIR="$ROOT/target" \
      npm install --no-audit --no-fund --foreground-scripts --strict-allow-scripts "$tarball"
  ) >&2 || rc=1
  if [ "$rc" = 0 ]; then
    ls "$tmp/app/node_modules/kompliant-webhooks/"kompliant-webhooks.*.node >/dev/null || { echo "node: no native module was built" >&2; rc=1; }
    (
      cd "$tmp/app" && node -e '
        const k = require("kompliant-webhooks");
        const secret = k.generateWebhookSecret();
        const meta = { id: "wh_packed", eventType: "WORKFLOW_CREATED", timestamp: "2025-11-21T00:00:00Z", accountId: "sb_1", schemaVersion: "2025-11-21", keyId: "whk_20251121_01" };
        const w = new k.WebhookReceiver(new k.Keyring({ whk_20251121_01: secret })).decrypt(k.sealWebhook(meta, { version: "1.0" }, secret).body(0));
        if (w.id !== "wh_packed" || typeof require("kompliant-webhooks/express").webhookMiddleware !== "function") process.exit(1);
        console.log("require: ok");
      ' && node --input-type=module -e '
        import { WebhookReceiver, UnknownKeyError } from "kompliant-webhooks";
        import { webhookPlugin } from "kompliant-webhooks/fastify";
        import { webhookHandler } from "kompliant-webhooks/fetch";
        if (typeof WebhookReceiver !== "function" || !(UnknownKeyError.prototype instanceof Error) || typeof webhookPlugin !== "function" || typeof webhookHandler !== "function") process.exit(1);
        console.log("import: ok");
      '
    ) >&2 || rc=1
  fi
  rm -rf "$tmp"
  return "$rc"
}

# The release path for prebuilt binaries, on this platform: napi create-npm-dirs makes the
# per-platform package (kompliant-webhooks-<platform>), napi artifacts puts the built .node in
# it; installing it with the main tarball must not build anything (cargo is made unusable) and
# the loader must find the binary in the platform package.
node_prebuilt_check() {
  local tmp rc=0 suffix main platform
  tmp=$(mktemp -d)
  suffix=$(cd "$ROOT/node" && node -p 'require("./lib/platform.js").platformSuffix()')
  mkdir -p "$tmp/release/artifacts" "$tmp/packs"
  # This machine builds only its own target: the release matrix builds one artifact per target.
  node -e 'const p = require(process.argv[1]); p.napi.targets = [process.argv[2]]; console.log(JSON.stringify(p, null, 2))' \
    "$ROOT/node/package.json" "$(rustc -vV | sed -n 's/^host: //p')" >"$tmp/release/package.json"
  cp "$ROOT/node/kompliant-webhooks.$suffix.node" "$tmp/release/artifacts/"
  (
    cd "$ROOT/node" &&
      npx --no-install napi create-npm-dirs --cwd "$tmp/release" &&
      npx --no-install napi artifacts --cwd "$tmp/release" --output-dir artifacts &&
      cd "$tmp/release/npm/$suffix" && npm pack --silent --pack-destination "$tmp/packs" &&
      cd "$ROOT/node" && npm pack --silent --pack-destination "$tmp/packs"
  ) >"$tmp/pack.log" 2>&1 || { cat "$tmp/pack.log" >&2; rm -rf "$tmp"; return 1; }
  platform=$(ls "$tmp/packs"/kompliant-webhooks-"$suffix"-*.tgz)
  main=$(ls "$tmp/packs"/kompliant-webhooks-[0-9]*.tgz)
  mkdir "$tmp/app"
  printf '{ "name": "app", "version": "1.0.0", "private": true, "allowScripts": { "file:%s": true } }\n' "$main" >"$tmp/app/package.json"
  (
    cd "$tmp/app" && CARGO=/bin/false npm install --no-audit --no-fund --foreground-scripts "$platform" "$main" &&
      test ! -e node_modules/kompliant-webhooks/kompliant-webhooks."$suffix".node &&
      node -e 'const k = require("kompliant-webhooks"); if (k.ERROR_CODES.length !== 26) process.exit(1); console.log("prebuilt: ok")'
  ) >&2 || rc=1
  rm -rf "$tmp"
  return "$rc"
}
