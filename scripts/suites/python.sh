# The Python suite: builds and installs the package the way users do (`pip install ./python`,
# which fetches maturin and compiles bindings/python), then mypy --strict on the package and
# the example, stubtest on the hand-written stubs of the native module, and pytest (every
# conformance vector, the framework adapters, the clients and an end-to-end run against
# `kompliant sim` through the example receiver, the duplicate guards, RedisGuard against a
# private redis-server, PostgresGuard against a private PostgreSQL), the same abi3 wheel on
# CPython 3.9 when the machine has one, the rotation test (tests/rotation/rotation.py) with the example receiver, and finally a short
# fault and load run (scripts/soak with 600 webhooks per guard store, every fault on; its own
# summary line). Sourced by scripts/test.

# Cargo features of the wheels the suite builds (see suite_python).
PYTHON_TEST_FEATURES="--features test-hooks"

# The suite's own virtualenv (separate from tools_python's), with python/requirements-test.txt
# installed; reinstalled only when that file changes.
python_sdk_venv() {
  local venv="$TOOLS/venv-python-sdk" requirements="$ROOT/python/requirements-test.txt"
  local stamp="$venv/.requirements.sha256" want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ]; then
    step "python: creating $venv"
    python3 -m venv "$venv" >&2
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    step "python: installing the test dependencies (python/requirements-test.txt)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$want" >"$stamp"
  fi
  echo "$venv"
}

suite_python() {
  local start=$SECONDS venv log="$TOOLS/python-test.log" junit="$TOOLS/python-junit.xml"
  venv=$(python_sdk_venv) || return 1

  step "python: building the simulator (kompliant sim) for the integration tests"
  cargo build --locked -q -p kompliant-cli || return 1

  # The test build adds the `test-hooks` feature (a hidden entry point that panics on
  # purpose, to check a panic surfaces as the package's INTERNAL error); nothing else differs
  # from what `pip install ./python` builds for users.
  step "python: pip install ./python (pip fetches maturin; release build of bindings/python + test hooks)"
  MATURIN_PEP517_ARGS="$PYTHON_TEST_FEATURES" \
    "$venv/bin/pip" install --disable-pip-version-check --quiet --force-reinstall --no-deps ./python || return 1

  step "python: mypy --strict (package, examples/python-receiver, the soak run)"
  (cd "$ROOT/python" && "$venv/bin/mypy" --strict kompliant_webhooks ../examples/python-receiver/receiver.py \
    ../tests/soak/soak.py ../tests/soak/fleet.py ../tests/soak/fleet_receiver.py ../tests/soak/stores.py) || return 1

  step "python: stubtest (the hand-written _native.pyi against the built module)"
  (cd "$TOOLS" && "$venv/bin/python" -m mypy.stubtest kompliant_webhooks._native) || return 1

  step "python: pytest"
  local rc=0 counts="pytest did not finish" vectors="not run"
  rm -f "$junit"
  # pipefail (lib.sh): the pipeline fails when pytest does (exit 5, no test collected, too).
  # A private redis-server (scripts/suites/redis-common.sh) for the RedisGuard tests and a
  # private PostgreSQL (scripts/suites/postgres-common.sh) for the PostgresGuard tests.
  redis_with_server postgres_with_server python_pytest "$venv" "$junit" "$log" || rc=1
  if [ -s "$junit" ]; then
    counts=$(python_counts "$venv" "$junit")
    vectors=$(python_vector_counts "$junit")
  fi
  local floor
  floor=$(python_floor_check) || rc=1

  # The rotation test (tests/rotation/rotation.py): the example receiver, run as users run it,
  # follows its keyring file (Keyring.watch) while another process rotates the key twice.
  local rotation
  step "python: rotation with the example receiver running (Keyring.watch on its keyring file)"
  rotation=$(rotation_run python "$venv/bin/python" -u "$ROOT/examples/python-receiver/receiver.py" --port 0) || rc=1

  SUMMARY+=("python: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $counts (vectors $vectors, mypy strict clean, stubtest clean, $floor); rotation: ${rotation:-FAIL} in $((SECONDS - start))s")

  # The short fault and load run (the full one is scripts/soak): its own summary line.
  local soak_start=$SECONDS soak_log="$TOOLS/soak.log" soak_line
  step "soak: $PYTHON_SOAK_WEBHOOKS webhooks per store (redis, postgres, postgres-tx) through two receivers, with slow handlers, store and receiver kills, 2 rotations"
  if soak_run "$venv" --webhooks "$PYTHON_SOAK_WEBHOOKS" --rate "$PYTHON_SOAK_RATE" 2>&1 | tee "$soak_log"; then
    soak_line=$(grep '^soak: PASS' "$soak_log" | tail -n 1)
  else
    rc=1
    soak_line=$(grep '^soak: FAIL' "$soak_log" | tail -n 1)
    soak_line=${soak_line:-soak: FAIL - see the output above}
  fi
  SUMMARY+=("${soak_line} (suite step: $((SECONDS - soak_start))s)")
  return "$rc"
}

# Webhooks per store of the short soak in the suite, and their rate (webhooks/s): slow
# enough that the four kills land while the triggering goes on (~16 s per store, ~50 s in all).
PYTHON_SOAK_WEBHOOKS=600
PYTHON_SOAK_RATE=60

# Runs tests/soak/soak.py ARGS... with the venv's Python (the CLI must be built:
# target/debug/kompliant). The driver starts, kills, restarts and always stops its own
# redis-server and PostgreSQL (tests/soak/stores.py); this installs them if missing.
soak_run() {
  local venv=$1
  shift
  redis_install || return 1
  postgres_install || return 1
  (cd "$ROOT" && KOMPLIANT_BIN="$ROOT/target/debug/kompliant" "$venv/bin/python" tests/soak/soak.py "$@")
}

# pytest over python/tests, output in the log (KOMPLIANT_TEST_REDIS_URL and
# KOMPLIANT_TEST_POSTGRES_URL set by the callers).
python_pytest() {
  local venv=$1 junit=$2 log=$3
  [ -n "${KOMPLIANT_TEST_REDIS_URL:-}" ] || { printf 'error: no redis-server for the guard tests\n' >&2; return 1; }
  [ -n "${KOMPLIANT_TEST_POSTGRES_URL:-}" ] || { printf 'error: no PostgreSQL server for the guard tests\n' >&2; return 1; }
  (cd "$ROOT" && KOMPLIANT_BIN="$ROOT/target/debug/kompliant" \
    "$venv/bin/pytest" python/tests -q --junitxml="$junit" 2>&1) | tee "$log"
}

# The oldest CPython the abi3 wheel supports, when this machine has one (pyenv or PATH).
python39() {
  local c
  for c in python3.9 "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.9*/bin/python3.9; do
    if "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# Builds the wheel once more through pip (PEP 517, as `pip install ./python` does), installs
# it into a CPython 3.9 virtualenv and runs the framework-free tests there: the one abi3
# wheel must work on the oldest Python it claims. Prints the summary fragment.
python_floor_check() {
  local py39 venv39="$TOOLS/venv-python-sdk-py39" wheels="$TOOLS/python-wheel" wheel
  if ! py39=$(python39); then
    echo "3.9 not checked: no CPython 3.9 on this machine"
    return 0
  fi
  step "python: the abi3 wheel on CPython 3.9 (receive path, vectors, errors)" >&2
  if [ ! -x "$venv39/bin/pytest" ]; then
    "$py39" -m venv "$venv39" >&2 && "$venv39/bin/pip" install --quiet --disable-pip-version-check 'pytest>=8,<9' >&2 \
      || { echo "3.9 check FAILED (setup)"; return 1; }
  fi
  rm -rf "$wheels"
  MATURIN_PEP517_ARGS="$PYTHON_TEST_FEATURES" \
    "$ROOT/target/tools/venv-python-sdk/bin/pip" wheel --quiet --disable-pip-version-check --no-deps -w "$wheels" ./python >&2 \
    || { echo "3.9 check FAILED (wheel)"; return 1; }
  wheel=$(ls "$wheels"/kompliant_webhooks-*-cp39-abi3-*.whl) || { echo "3.9 check FAILED (no abi3 wheel)"; return 1; }
  "$venv39/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2 \
    || { echo "3.9 check FAILED (install)"; return 1; }
  local out
  if out=$(cd "$ROOT" && "$venv39/bin/pytest" -q -p no:cacheprovider \
      python/tests/test_vectors.py python/tests/test_receiver.py python/tests/test_errors.py 2>&1); then
    printf '%s\n' "$out" | tail -n 1 >&2
    echo "CPython 3.9: $(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^\([0-9]* passed\).*/\1/p')"
  else
    printf '%s\n' "$out" >&2
    echo "CPython 3.9: FAILED"
    return 1
  fi
}

# "P passed, F failed" from pytest's JUnit XML (errors count as failures, skips are listed).
python_counts() {
  "$1/bin/python" - "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
skipped = sum(1 for c in cases if c.find("skipped") is not None)
line = f"{len(cases) - failed - skipped} passed, {failed} failed"
print(line + (f", {skipped} skipped" if skipped else ""))
EOF
}

# "passed/total" of the conformance-vector cases in a pytest JUnit file ($1); the host's
# python3 reads it (stdlib only), so the install tests use it too.
python_vector_counts() {
  python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
cases = [c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")
         if c.get("classname", "").endswith("test_vectors") and c.get("name", "").startswith("test_vector[")]
ok = sum(1 for c in cases if len(c) == 0 or all(child.tag in ("system-out", "system-err") for child in c))
print(f"{ok}/{len(cases)}")
EOF
}
