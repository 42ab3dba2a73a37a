# Install tests of the Python distributions in dist/python (called by suite_dist):
#   - the manylinux x86_64 wheel: `pip install --no-index --find-links dist/python` into a fresh
#     virtualenv with no cargo or rustc on PATH, then the 154 conformance vectors (pytest);
#   - the aarch64 manylinux wheel, the same way, inside the emulated arm64 Debian root;
#   - the sdist without Rust: pip must stop with the error that names cargo, and never fetch a
#     toolchain (no puccinialin); the sdist with Rust: builds from source and runs the vectors.

dist_check_python() {
  local rc=0
  dist_python_x86_64 || rc=1
  dist_python_sdist || rc=1
  dist_python_arm64 || rc=1
  return "$rc"
}

# The files the vector tests need, laid out like the repository under $1.
dist_python_stage_tests() {
  mkdir -p "$1/python/tests" "$1/tests/vectors" &&
    cp "$ROOT/python/tests/conftest.py" "$ROOT/python/tests/test_vectors.py" "$1/python/tests/" &&
    cp "$ROOT/tests/vectors/webhooks.json" "$1/tests/vectors/"
}

dist_python_x86_64() {
  local tmp venv seconds wheel_tag vectors total where
  total=$(vector_total)
  tmp=$(mktemp -d)
  venv="$tmp/venv"
  python3 -m venv "$venv" >&2 && "$venv/bin/pip" install --quiet --disable-pip-version-check 'pytest>=8,<9' >&2 \
    || { SUMMARY+=("dist: python: FAIL - could not make a virtualenv with pytest"); rm -rf "$tmp"; return 1; }
  # The user's command, timed, with no Rust on PATH and no index (only dist/python).
  if ! seconds=$(PATH="$DIST_NO_RUST_PATH" dist_time "$venv/bin/pip" install --disable-pip-version-check --no-index \
      --find-links "$DIST/python" kompliant-webhooks); then
    SUMMARY+=("dist: python: FAIL - pip install --no-index --find-links dist/python failed")
    rm -rf "$tmp"; return 1
  fi
  dist_figure pip-install-seconds "$seconds"
  wheel_tag=$("$venv/bin/python" - <<'PY'
import importlib.metadata as m
dist = m.distribution("kompliant-webhooks")
print(" ".join(l.split(": ", 1)[1] for l in (dist.read_text("WHEEL") or "").splitlines() if l.startswith("Tag: ")))
PY
)
  where=$("$venv/bin/python" -c 'import kompliant_webhooks, sys; print(kompliant_webhooks.__file__.startswith(sys.prefix))')
  case "$wheel_tag" in *manylinux_2_17_x86_64*) ;; *) where="wrong wheel: $wheel_tag" ;; esac
  dist_python_stage_tests "$tmp/repo"
  (cd "$tmp/repo" && PATH="$DIST_NO_RUST_PATH" "$venv/bin/pytest" -q -p no:cacheprovider --junitxml="$tmp/junit.xml" \
    python/tests/test_vectors.py 2>&1 | tail -3 >&2)
  vectors=$(python_vector_counts "$tmp/junit.xml" 2>/dev/null || echo "0/0")
  local ok=1
  [ "$where" = True ] && [ "$vectors" = "$total/$total" ] || ok=0
  SUMMARY+=("dist: python $([ "$ok" = 1 ] && echo PASS || echo FAIL) - manylinux_2_17_x86_64 abi3 wheel on x86_64 $("$venv/bin/python" -V 2>&1) (pip --no-index, no cargo, installed in ${seconds}s${where:+; from site-packages: $where}): vectors $vectors")
  rm -rf "$tmp"
  [ "$ok" = 1 ]
}

# The sdist: without Rust pip stops with our error (and never fetches puccinialin/rustup); with
# Rust it builds and the vectors pass. The build reuses the dist cargo cache.
dist_python_sdist() {
  local tmp sdist total vectors out rc=0 no_rust="?" built="?"
  total=$(vector_total)
  sdist=$(ls "$DIST"/python/kompliant_webhooks-*.tar.gz) || { SUMMARY+=("dist: python sdist FAIL - no sdist in dist/python"); return 1; }
  tmp=$(mktemp -d)
  python3 -m venv "$tmp/venv" >&2 && "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check 'pytest>=8,<9' >&2 || { rm -rf "$tmp"; return 1; }
  out=$(PATH="$DIST_NO_RUST_PATH" "$tmp/venv/bin/pip" install --disable-pip-version-check --no-cache-dir "$sdist" 2>&1) && rc=1
  if grep -q 'that needs Rust: `cargo` was not found' <<<"$out" && grep -q 'KOMPLIANT_WEBHOOKS_INSTALL_RUST=1' <<<"$out" \
      && ! grep -qiE 'puccinialin|rustup-init|rust-std|installing rust' <<<"$out"; then
    no_rust="refused with the cargo error, nothing fetched"
  else
    printf '%s\n' "$out" | tail -30 >&2
    no_rust="FAILED (no clear cargo error, or a toolchain download)"; rc=1
  fi
  step "dist: python sdist builds from source with cargo (release, reusing $DIST_TARGET_DIR)"
  # An sdist's files carry the tarball's fixed mtimes, older than any cached build, and cargo
  # names path crates' artifacts the same from any directory: it would reuse a stale build of
  # this project's own crates (it did: a binding change was missed). Forget their
  # fingerprints so they are rebuilt; the dependencies stay cached.
  rm -rf "$DIST_TARGET_DIR"/release/.fingerprint/kompliant-webhooks*
  if CARGO_TARGET_DIR="$DIST_TARGET_DIR" "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$sdist" >&2; then
    dist_python_stage_tests "$tmp/repo"
    (cd "$tmp/repo" && "$tmp/venv/bin/pytest" -q -p no:cacheprovider --junitxml="$tmp/junit.xml" python/tests/test_vectors.py 2>&1 | tail -2 >&2)
    vectors=$(python_vector_counts "$tmp/junit.xml" 2>/dev/null || echo "0/0")
    built="built with cargo: vectors $vectors"
    [ "$vectors" = "$total/$total" ] || rc=1
  else
    built="build with cargo FAILED"; rc=1
  fi
  SUMMARY+=("dist: python sdist $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $(basename "$sdist") without Rust: $no_rust; $built")
  rm -rf "$tmp"
  return "$rc"
}

# The aarch64 manylinux wheel inside the emulated arm64 root (Debian trixie, its own CPython
# and pytest), installed by pip with --no-index from the staged wheel.
dist_python_arm64() {
  local work wheel total vectors seconds rc=0
  total=$(vector_total)
  arm64_root_ensure || { SUMMARY+=("dist: python arm64 FAIL - the emulated arm64 root could not be set up"); return 1; }
  wheel=$(ls "$DIST"/python/kompliant_webhooks-*-manylinux*_aarch64*.whl) || { SUMMARY+=("dist: python arm64 FAIL - no aarch64 manylinux wheel"); return 1; }
  work=$(arm64_stage_dir) || return 1
  mkdir -p "$work/wheels" && cp "$wheel" "$work/wheels/" && dist_python_stage_tests "$work/repo" || return 1
  step "dist: python: the aarch64 wheel in the emulated arm64 root"
  arm64_run "set -e; cd $ARM64_WORK; python3 -m venv --system-site-packages venv >/dev/null
    start=\$(date +%s.%N); venv/bin/pip install --quiet --disable-pip-version-check --no-index --find-links wheels kompliant-webhooks
    end=\$(date +%s.%N); echo \"\$start \$end\" >install-time
    venv/bin/python -c 'import kompliant_webhooks, platform, sys; assert kompliant_webhooks.__file__.startswith(sys.prefix); print(\"installed for\", platform.machine())'
    cd repo && ../venv/bin/python -m pytest -q -p no:cacheprovider --junitxml=$ARM64_WORK/junit.xml python/tests/test_vectors.py 2>&1 | tail -2" >&2 || rc=1
  vectors=$(python_vector_counts "$work/junit.xml" 2>/dev/null || echo "0/0")
  seconds=$(awk '{ printf "%.1f", $2 - $1 }' "$work/install-time" 2>/dev/null || echo "?")
  [ "$vectors" = "$total/$total" ] || rc=1
  SUMMARY+=("dist: python arm64 $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $(basename "$wheel" | sed -E 's/.*-abi3-([^.]*)\..*/\1/') wheel in an emulated arm64 Debian root ($(arm64_describe | cut -d, -f1-2); pip --no-index, installed in ${seconds}s under qemu): vectors $vectors")
  return "$rc"
}
