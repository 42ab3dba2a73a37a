# The edge suite: kompliant-webhooks/edge (the npm package's entry for Cloudflare Workers,
# Deno, Bun and Next.js edge routes) in the real runtimes. The WebAssembly core
# (scripts/packaging/edge.sh's edge_build: bindings/wasm with wasm-bindgen → node/edge/wasm/),
# the edge bundles (npm run build:edge: node/lib over the wasm shim, by esbuild), the runtimes
# from node/test/edge/tools/package-lock.json (deno, bun, miniflare with workerd, next with
# react) installed
# with npm ci into KOMPLIANT_EDGE_TOOLS (default /var/cache/kompliant-webhooks/edge-tools,
# outside the repository; reinstalled only when that lockfile changes), the simulator, then
# node --test node/test/edge/edge.test.mjs: in each runtime (Next.js twice: an app built by
# next build with Turbopack and with webpack, served by next start) every conformance vector,
# 405 for a non-POST, and simulator deliveries over loopback (decrypted, duplicates, a throwing
# handler, a rotated key); then docs/edge.md's example programs, each run in its runtime
# against the simulator. Sourced by scripts/test.

KOMPLIANT_EDGE_TOOLS=${KOMPLIANT_EDGE_TOOLS:-/var/cache/kompliant-webhooks/edge-tools}

suite_edge() {
  local start=$SECONDS tap="$TOOLS/edge-test.tap" rc=0
  node_toolchain || { SUMMARY+=("edge: FAIL - Node.js >= 20 with npm, and cargo, are needed"); return 1; }
  # shellcheck source=/dev/null
  source "$ROOT/scripts/packaging/common.sh" && source "$ROOT/scripts/packaging/edge.sh" ||
    { SUMMARY+=("edge: FAIL - scripts/packaging/edge.sh (edge_build) is missing"); return 1; }

  step "edge: npm dependencies of node/ (esbuild; npm ci when package-lock.json changed)"
  npm_ci_cached "$ROOT/node" || return 1
  step "edge: the WebAssembly core (edge_build → node/edge/wasm/)"
  edge_build || { SUMMARY+=("edge: FAIL - the WebAssembly build (edge_build) failed"); return 1; }
  edge_clippy || { SUMMARY+=("edge: FAIL - clippy of bindings/wasm for wasm32-unknown-unknown (edge_clippy)"); return 1; }
  step "edge: the edge bundles (npm run build:edge → node/edge/index.mjs, workerd.mjs)"
  (cd "$ROOT/node" && npm run --silent build:edge) || { SUMMARY+=("edge: FAIL - npm run build:edge failed"); return 1; }
  step "edge: the runtimes (deno, bun, miniflare/workerd, next from node/test/edge/tools) in $KOMPLIANT_EDGE_TOOLS"
  edge_tools_install || { SUMMARY+=("edge: FAIL - installing the runtimes (npm ci in $KOMPLIANT_EDGE_TOOLS) failed"); return 1; }
  step "edge: the simulator (cargo build -p kompliant-cli)"
  cargo build --locked -q -p kompliant-cli || return 1

  step "edge: node --test test/edge/edge.test.mjs (Deno, Bun, workerd, Next.js; docs/edge.md's examples)"
  (cd "$ROOT/node" && KOMPLIANT_EDGE_TOOLS="$KOMPLIANT_EDGE_TOOLS" KOMPLIANT_BIN="$ROOT/target/debug/kompliant" \
    node --test --test-timeout=600000 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" test/edge/edge.test.mjs) || rc=1

  local pass fail vector_total counts="" runtime vectors versions examples examples_ok
  pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  vector_total=$(vector_total)
  [ -n "$pass" ] || { pass=0; rc=1; }
  # Vectors per runtime: the "ok N - vector: " lines under each runtime's describe block.
  for runtime in deno bun workerd next next-webpack; do
    vectors=$(awk -v r="$runtime" '/^# Subtest: /{ inr = ($0 == "# Subtest: " r) }
      inr && /^ *ok [0-9]+ - vector: / { n++ } END { print n + 0 }' "$tap")
    [ "$vectors" = "$vector_total" ] || rc=1
    counts+="${counts:+, }$runtime $vectors/$vector_total"
  done
  # docs/edge.md's examples: the "<name>: <file> receives simulator deliveries" tests, and how
  # many passed (each example in each runtime it is for: the Next.js route in both bundlers).
  examples=$(grep -cE '^ *(not )?ok [0-9]+ - .* receives simulator deliveries' "$tap" || true)
  examples_ok=$(grep -cE '^ *ok [0-9]+ - .* receives simulator deliveries' "$tap" || true)
  [ "$examples" -gt 0 ] && [ "$examples" = "$examples_ok" ] || rc=1
  versions=$(sed -n 's/.*# runtime [a-z-]*: \(.*\)$/\1/p' "$tap" | awk '!seen[$0]++' | paste -sd ';' | sed 's/;/; /g')
  SUMMARY+=("edge: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - ${pass:-0} passed, ${fail:-?} failed (vectors $counts; sim deliveries, duplicates, handler failure, rotation in each; docs/edge.md examples run $examples_ok/$examples; ${versions:-runtime versions unknown}) in $((SECONDS - start))s")
  return "$rc"
}

# npm ci of node/test/edge/tools/package-lock.json into KOMPLIANT_EDGE_TOOLS, unless the
# node_modules there was installed from a lockfile with the same hash (lib.sh's npm_ci_cached
# installs next to the lockfile; the runtimes, ~300 MB, stay out of the repository).
edge_tools_install() {
  local src="$ROOT/node/test/edge/tools" dir="$KOMPLIANT_EDGE_TOOLS"
  mkdir -p "$dir" || return 1
  cp "$src/package.json" "$src/package-lock.json" "$dir/" || return 1
  npm_ci_cached "$dir"
}
