# The Node suite: npm dependencies (cached by package-lock hash), the native module built with
# @napi-rs/cli, the binding crate's Rust unit tests, then `node --test` (every conformance
# vector, the API, the Error classes, ESM and CommonJS entry points, the Express / Fastify /
# fetch middlewares over real HTTP on loopback, the duplicate guards and RedisGuard (node-redis
# and ioredis) against a private redis-server (scripts/suites/redis-common.sh), PostgresGuard
# and its transactional mode (pg) against a private PostgreSQL (scripts/suites/postgres-common.sh),
# the client and an end-to-end run through
# examples/node-receiver against `kompliant sim`), the rotation test of every language
# (tests/rotation/rotation.py via lib.sh's rotation_run) with examples/node-receiver as the
# receiver (Keyring.watch on the file `kompliant keys rotate` writes), `tsc --noEmit --strict` on a typed usage
# file, `tsc` on the edge entry's typed usage with no @types/node, and finally `npm pack` (with an empty CARGO_HOME) → `npm install <tarball>` into
# temporary projects: installing builds nothing (the package has no install script) and, with
# no platform package, require() fails with the package's clear error; `npx
# kompliant-webhooks-build` (the opt-in) builds the native module from the tarball's Rust
# sources with cargo, then require() and import work; and a
# per-platform package made by napi create-npm-dirs + napi artifacts installs without
# building. The dist/ artifacts are tested by scripts/test dist. Sourced by scripts/test.
#
# Caches: node_modules (reinstalled only when package-lock.json changes) and cargo's target/.
# The tarball's from-source build also uses target/ (KOMPLIANT_WEBHOOKS_TARGET_DIR): its
# registry dependencies are the ones `npm run build` just compiled with the same profile, so
# only the three vendored crates compile (~40 s instead of 3-4 min). Its cdylib lands on the
# same file name as the workspace build's, from the same sources, which is harmless.

suite_node() {
  local start=$SECONDS tap="$TOOLS/node-test.tap" rc=0
  node_toolchain || { SUMMARY+=("node: FAIL - Node.js >= 20 with npm, and cargo, are needed"); return 1; }

  step "node: npm dependencies of node/ (npm ci when package-lock.json changed)"
  npm_ci_cached "$ROOT/node" || return 1
  step "node: native module (napi build --platform --release) and napi's generated loader"
  (cd "$ROOT/node" && npm run --silent build) || return 1
  # binding.js is napi's generated loader, committed (npm pack needs it, and packing must not
  # need a Rust build): the build just rewrote it, and it must not have changed.
  if ! git -C "$ROOT" ls-files --error-unmatch node/binding.js >/dev/null 2>&1 || ! git -C "$ROOT" diff --quiet -- node/binding.js; then
    git -C "$ROOT" diff --stat -- node/binding.js >&2
    echo "node: node/binding.js is not what this @napi-rs/cli generates; commit the regenerated file" >&2
    SUMMARY+=("node: FAIL - node/binding.js (napi's generated loader) is out of date; commit what npm run build wrote")
    return 1
  fi
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

  step "node: node --test (with a private redis-server and a private PostgreSQL for the RedisGuard and PostgresGuard tests)"
  redis_with_server postgres_with_server node_run_tests "$tap" || rc=1
  local pass fail vectors vector_total
  pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  vectors=$(grep -cE '^ *ok [0-9]+ - vector: ' "$tap" || true)
  vector_total=$(vector_total)
  [ -n "$pass" ] || { pass=0; rc=1; }
  [ "$vectors" = "$vector_total" ] || rc=1

  step "node: rotation with a running receiver (examples/node-receiver, Keyring.watch on its keyring file)"
  local rotation
  rotation=$(rotation_run node node "$ROOT/examples/node-receiver/server.js") || { rotation=FAIL; rc=1; }

  step "node: tsc --noEmit --strict on test/types (the typed usage of index.d.ts and the middlewares)"
  local tsc="tsc strict clean"
  (cd "$ROOT/node" && npx --no-install tsc -p test/types/tsconfig.json --noEmit --strict) || { tsc="tsc FAILED"; rc=1; }
  step "node: tsc on test/types/edge.mts as an edge project compiles it (tsconfig.edge.json: no @types/node)"
  local tsc_edge="edge types Node-free"
  node_edge_types_check || { tsc_edge="edge types FAILED"; rc=1; }

  step "node: npm pack → npm install <tarball> in a temporary project (builds nothing) → npx kompliant-webhooks-build (from source) → require and import"
  local pack="packed tarball builds from source on opt-in only"
  node_pack_check || { pack="packed tarball FAILED"; rc=1; }
  step "node: a per-platform prebuilt package (napi create-npm-dirs + napi artifacts) installs without building"
  local prebuilt="prebuilt package installs"
  node_prebuilt_check || { prebuilt="prebuilt package FAILED"; rc=1; }

  SUMMARY+=("node: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - ${pass:-0} passed, ${fail:-?} failed (vectors $vectors/$vector_total, middleware over HTTP, sim integration; rotation: ${rotation:-FAIL}; binding crate: ${rust_counts%, * ignored}; $tsc, $tsc_edge, $pack, $prebuilt) in $((SECONDS - start))s")
  return "$rc"
}

# kompliant-webhooks/edge's types in a project without Node's: tsc on test/types/edge.mts
# with tsconfig.edge.json ("types": [], lib es2022 + dom), and no file of @types/node in the
# program (a `/// <reference types="node" />` reached from the edge entry would load it even
# with "types": [], and every Node type would then compile).
node_edge_types_check() {
  local files
  if ! files=$(cd "$ROOT/node" && npx --no-install tsc -p test/types/tsconfig.edge.json --noEmit --listFiles); then
    grep -v '^/' <<<"$files" >&2
    return 1
  fi
  if grep '/@types/node/' <<<"$files" | head -3 | grep . >&2; then
    echo "node: compiling test/types/edge.mts loaded @types/node (above): a file the edge entry reaches references Node's types" >&2
    return 1
  fi
  echo "node: edge.mts compiled with no @types/node ($(grep -c . <<<"$files") files)" >&2
}

# node --test over test/, TAP into $1 (KOMPLIANT_TEST_REDIS_URL set by redis_with_server,
# KOMPLIANT_TEST_POSTGRES_URL by postgres_with_server, both in scripts/suites/*-common.sh).
node_run_tests() {
  [ -n "${KOMPLIANT_TEST_REDIS_URL:-}" ] || { echo "node: no redis-server for the guard tests" >&2; return 1; }
  [ -n "${KOMPLIANT_TEST_POSTGRES_URL:-}" ] || { echo "node: no PostgreSQL server for the PostgresGuard tests" >&2; return 1; }
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

# Packs node/ (prepack vendors the Rust sources) with an empty CARGO_HOME, as a packing
# machine may have no crate cached, then installs the tarball into fresh projects the way a
# user would:
#  - the package has no install script, the install builds nothing (cargo is made unusable),
#    and with no platform package require() fails with the package's own error naming what
#    was tried and how to fix it;
#  - the opt-in, `npx kompliant-webhooks-build`, builds the native module from source, and
#    require() (which must load that file) and import work.
node_pack_check() {
  local tmp tarball rc=0
  tmp=$(mktemp -d)
  mkdir "$tmp/cargo-home"
  # The edge entry's build products are not needed here (scripts/test dist runs the edge entry
  # from the real tarball): KOMPLIANT_PACK_WITHOUT_EDGE lets prepack pack without them.
  (cd "$ROOT/node" && KOMPLIANT_PACK_WITHOUT_EDGE=1 CARGO_HOME="$tmp/cargo-home" npm pack --silent --pack-destination "$tmp") >"$tmp/pack.out" ||
    { echo "node: npm pack failed with an empty CARGO_HOME (no crate cached)" >&2; rm -rf "$tmp"; return 1; }
  tarball="$tmp/$(tail -1 "$tmp/pack.out")"
  tar -tzf "$tarball" >"$tmp/contents"
  if grep -q '\.node$' "$tmp/contents"; then
    echo "node: the tarball ships a prebuilt .node; the main package never holds one" >&2
    rm -rf "$tmp"; return 1
  fi
  for f in package/native/Cargo.toml package/native/Cargo.lock package/native/core/Cargo.toml package/native/core/src/lib.rs package/native/js-shared/Cargo.toml package/native/js-shared/src/lib.rs package/index.d.ts package/express.mjs package/binding.js; do
    grep -qx "$f" "$tmp/contents" || { echo "node: $f missing from the tarball" >&2; rc=1; }
  done

  # The install: no install script, nothing built, and require() fails with a clear error.
  mkdir "$tmp/app"
  printf '{ "name": "app", "version": "1.0.0", "private": true }\n' >"$tmp/app/package.json"
  (cd "$tmp/app" && CARGO=/bin/false npm install --no-audit --no-fund --foreground-scripts "$tarball") >&2 || rc=1
  if compgen -G "$tmp/app/node_modules/kompliant-webhooks/*.node" >/dev/null || [ -d "$tmp/app/node_modules/kompliant-webhooks/native/target" ]; then
    echo "node: installing the package built the native module; only npx kompliant-webhooks-build may" >&2
    rc=1
  fi
  node -e '
    const s = require(process.argv[1]).scripts || {};
    const hooks = ["preinstall", "install", "postinstall", "prepare"].filter((h) => s[h]);
    if (hooks.length) { console.error(`node: the package has install scripts (${hooks}); installing must never compile`); process.exit(1); }
  ' "$tmp/app/node_modules/kompliant-webhooks/package.json" >&2 || rc=1
  (cd "$tmp/app" && node -e '
    try { require("kompliant-webhooks"); } catch (e) {
      const m = String(e.message);
      if (e.code === "KOMPLIANT_NATIVE_MODULE_NOT_FOUND" && /kompliant-webhooks-linux-\w+-\w+/.test(m) && m.includes("kompliant-webhooks-wasm32-wasi") && m.includes("npx kompliant-webhooks-build") && e.cause) {
        console.log("no native module: clear error: ok"); process.exit(0);
      }
      console.error(e); process.exit(1);
    }
    console.error("require() worked with no native module installed"); process.exit(1);
  ') >&2 || rc=1

  # The opt-in source build, in the same project.
  (cd "$tmp/app" && KOMPLIANT_WEBHOOKS_TARGET_DIR="$ROOT/target" npx --no-install kompliant-webhooks-build) >&2 || rc=1
  if [ "$rc" = 0 ]; then
    ls "$tmp/app/node_modules/kompliant-webhooks/"kompliant-webhooks.*.node >/dev/null || { echo "node: no native module was built" >&2; rc=1; }
    (
      cd "$tmp/app" && node -e '
        const k = require("kompliant-webhooks");
        const loaded = Object.keys(require.cache).filter((f) => f.endsWith(".node"));
        if (loaded.length !== 1 || !/node_modules\/kompliant-webhooks\/kompliant-webhooks\.[^/]+\.node$/.test(loaded[0])) { console.error("loaded:", loaded); process.exit(1); }
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
      cd "$ROOT/node" && KOMPLIANT_PACK_WITHOUT_EDGE=1 npm pack --silent --pack-destination "$tmp/packs"
  ) >"$tmp/pack.log" 2>&1 || { cat "$tmp/pack.log" >&2; rm -rf "$tmp"; return 1; }
  platform=$(ls "$tmp/packs"/kompliant-webhooks-"$suffix"-*.tgz)
  main=$(ls "$tmp/packs"/kompliant-webhooks-[0-9]*.tgz)
  mkdir "$tmp/app"
  printf '{ "name": "app", "version": "1.0.0", "private": true }\n' >"$tmp/app/package.json"
  (
    cd "$tmp/app" && CARGO=/bin/false npm install --no-audit --no-fund --foreground-scripts "$platform" "$main" &&
      test ! -e node_modules/kompliant-webhooks/kompliant-webhooks."$suffix".node &&
      node -e '
        const k = require("kompliant-webhooks");
        if (k.ERROR_CODES.length !== 26) process.exit(1);
        const loaded = Object.keys(require.cache).filter((f) => f.endsWith(".node"));
        const want = `node_modules/kompliant-webhooks-${process.argv[1]}/kompliant-webhooks.${process.argv[1]}.node`;
        if (loaded.length !== 1 || !loaded[0].endsWith(want)) { console.error("loaded", loaded, "not", want); process.exit(1); }
        console.log("prebuilt: ok, loaded from the platform package");
      ' "$suffix"
  ) >&2 || rc=1
  rm -rf "$tmp"
  return "$rc"
}
