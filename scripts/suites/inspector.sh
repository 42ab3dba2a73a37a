# The web inspectors in a real browser: `kompliant sim` at / and `kompliant listen --inspect`
# at /_inspect, driven in headless Chromium (Debian's package, installed once) by
# puppeteer-core (tests/inspector/inspector.mjs). Screenshots in target/inspector/.
# Sourced by scripts/test.

# Debian's chromium, installed once (apt-get; the machine keeps it).
chromium_install() {
  command -v chromium >/dev/null 2>&1 && return 0
  step "installing chromium (apt-get, once) for the inspector's browser test"
  apt_install chromium || return 1
  command -v chromium >/dev/null 2>&1
}

suite_inspector() {
  local start=$SECONDS rc=0 line=""
  chromium_install || { SUMMARY+=("inspector: FAIL - chromium could not be installed"); return 1; }
  step "inspector: npm ci (puppeteer-core, no browser download)"
  (cd "$ROOT/tests/inspector" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent) >&2 || return 1
  step "inspector: cargo build (kompliant)"
  cargo build --locked -q -p kompliant-cli >&2 || return 1
  step "inspector: both pages in headless Chromium (trigger, faults, rotation, redeliver, replay)"
  line=$(node "$ROOT/tests/inspector/inspector.mjs" --kompliant "$ROOT/target/debug/kompliant" \
    --chromium "$(command -v chromium)" --out "$ROOT/target/inspector" | tail -1) || rc=1
  if [ "$rc" = 0 ] && [ -n "$line" ]; then
    SUMMARY+=("${line%%; screenshots in*} in $((SECONDS - start))s")
  else
    SUMMARY+=("inspector: FAIL - see the output above (screenshot of the failure in target/inspector/failure.png) in $((SECONDS - start))s")
    rc=1
  fi
  return "$rc"
}
