# The Kotlin suite: the generated Kotlin bindings compiled with Maven (kotlin-maven-plugin,
# JNA, JUnit 5) and tested: every conformance vector, error mapping, redaction, watched
# keyring files, and an integration test against `kompliant sim`; then examples/kotlin-receiver
# runs its demo against the simulator, and runs as the receiver of the rotation test
# (tests/rotation/rotation.py: 240 webhooks, two rotations by another process, 0 UNKNOWN_KEY).
# Sourced by scripts/test; helpers in uniffi-common.sh and lib.sh (rotation_run).
#
# Maven uses the default local repository (~/.m2), so a second run downloads nothing.

suite_kotlin() {
  local start=$SECONDS log="$TOOLS/kotlin-test.log" kotlin_dir="$ROOT/bindings/uniffi/kotlin"
  uniffi_apt_install javac default-jdk-headless || return 1
  uniffi_apt_install mvn maven || return 1
  uniffi_generate || return 1

  step "kotlin: mvn install (compile the generated Kotlin, JUnit tests, install com.kompliant:kompliant-webhooks)"
  rm -rf "$kotlin_dir/target/surefire-reports"
  local rc=0
  (cd "$kotlin_dir" && mvn -B -q -Dstyle.color=never install) >"$log" 2>&1 || rc=1
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -vE '^\[(INFO|WARNING)\]|^\s*$' | tail -60 >&2
  local counts vectors vector_total
  counts=$(kotlin_counts "$kotlin_dir/target/surefire-reports" all)
  [ -n "$counts" ] || { counts="no test report"; rc=1; }
  # Passed conformance vectors over the number of cases the file holds: fewer is a failure.
  vector_total=$(vector_total) || rc=1
  vectors=$(kotlin_counts "$kotlin_dir/target/surefire-reports" vectors)
  [ "${vectors:-0}" = "$vector_total" ] || rc=1

  local example="not run"
  if [ "$rc" = 0 ]; then
    step "kotlin: examples/kotlin-receiver against kompliant sim (rotate, endpoint, trigger, receive)"
    if kotlin_example; then example="ok"; else example="FAIL"; rc=1; fi
  fi
  local rotation="not run"
  if [ "$rc" = 0 ]; then
    step "kotlin: rotation with a running receiver (examples/kotlin-receiver watching its keyring file)"
    rotation=$(kotlin_rotation) || rc=1
  fi
  SUMMARY+=("kotlin: $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $counts (vectors ${vectors:-0}/$vector_total; example: $example; rotation: ${rotation:-FAIL}) in $((SECONDS - start))s")
  return "$rc"
}

# Reads Surefire's XML reports: "P passed, F failed, S skipped" for every test ("all"), or
# the number of conformance-vector cases that ran and passed ("vectors").
kotlin_counts() {
  python3 - "$1" "$2" <<'PY'
import glob, sys
import xml.etree.ElementTree as ET
reports, what = sys.argv[1], sys.argv[2]
total = failed = skipped = vec_passed = 0
for path in glob.glob(reports + "/TEST-*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        total += 1
        failed += bad
        skipped += case.find("skipped") is not None
        if case.get("classname", "").endswith("VectorsTest") and case.get("name", "").startswith("everyVector"):
            vec_passed += not bad and case.find("skipped") is None
if total == 0:
    sys.exit(0)
if what == "vectors":
    print(vec_passed)
else:
    print(f"{total - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
}

# The command line of examples/kotlin-receiver as built by kotlin_example (port 0: a free one).
kotlin_example_command() {
  local dir="$ROOT/examples/kotlin-receiver"
  printf '%s\0' env PORT=0 java -Djna.library.path="$ROOT/target/debug" \
    -cp "$dir/target/classes:$(cat "$dir/target/classpath.txt")" com.kompliant.examples.ReceiverKt
}

# The rotation test (lib.sh rotation_run) with examples/kotlin-receiver as the receiver: it
# watches the keyring file the driver's other process rotates keys into. Prints the summary.
kotlin_rotation() {
  local cmd=()
  mapfile -d '' cmd < <(kotlin_example_command)
  rotation_run kotlin "${cmd[@]}"
}

# Builds examples/kotlin-receiver against the installed artifact and runs its --demo against a
# fresh simulator.
kotlin_example() {
  local dir="$ROOT/examples/kotlin-receiver" tmp rc=0
  (cd "$dir" && mvn -B -q -Dstyle.color=never package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >"$TOOLS/kotlin-example-build.log" 2>&1 \
    || { sed 's/\x1b\[[0-9;]*m//g' "$TOOLS/kotlin-example-build.log" | grep -vE '^\[(INFO|WARNING)\]' | tail -40 >&2; return 1; }
  tmp=$(mktemp -d)
  "$ROOT/target/debug/kompliant" sim --listen 127.0.0.1:0 --retry-base-ms 20 --env-file "$tmp/sim.env" --quiet >"$tmp/sim.log" 2>&1 &
  local sim=$!
  for _ in $(seq 100); do [ -s "$tmp/sim.env" ] && break; sleep 0.1; done
  ( set -a; . "$tmp/sim.env"; set +a
    mapfile -d '' cmd < <(kotlin_example_command)
    cd "$tmp" && KOMPLIANT_KEYRING_FILE="$tmp/keys.json" timeout 120 "${cmd[@]}" --demo ) >&2 || rc=1
  kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true
  rm -rf "$tmp"
  return "$rc"
}
