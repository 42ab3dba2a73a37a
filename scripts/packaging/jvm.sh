# package_jvm: the Kotlin/JVM artifact into dist/maven/ (sourced by scripts/package).
#   - com.kompliant:kompliant-webhooks:<version>: the compiled bindings with the release
#     libraries inside at JNA's resource paths (linux-x86-64/, linux-aarch64/; glibc 2.17), so
#     JNA extracts and loads them with no jna.library.path;
#   - its -sources.jar and -javadoc.jar (Dokka, javadoc format) and the POM (url, scm,
#     license, developers);
#   - deployed as a Maven repository into dist/maven/ and installed into the local repository
#     (~/.m2), both by `mvn -Prelease deploy` in bindings/uniffi/kotlin (the profile builds in
#     target/release/, apart from the test suite's target/).
# macOS and Windows natives (darwin-aarch64/, darwin-x86-64/, win32-x86-64/) are built by the
# release workflow on its own runners; it hands them over with KOMPLIANT_JVM_EXTRA_NATIVES=DIR
# (DIR/<JNA resource prefix>/<library>), and they go into the same jar.

# shellcheck source=/dev/null
source "$ROOT/scripts/packaging/uniffi.sh"

# JNA's resource prefix (com.sun.jna.Platform.RESOURCE_PREFIX) of Rust target $1.
jvm_resource_prefix() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux-x86-64 ;;
    aarch64-unknown-linux-gnu) echo linux-aarch64 ;;
    *) echo "package jvm: no JNA resource prefix for $1" >&2; return 1 ;;
  esac
}

package_jvm() {
  local out="$DIST/maven" natives="$ROOT/target/package/jvm-natives" kotlin_dir="$ROOT/bindings/uniffi/kotlin"
  local target prefix log="$TOOLS/package-jvm-mvn.log"
  uniffi_need javac default-jdk-headless && uniffi_need mvn maven && uniffi_need unzip unzip || return 1
  uniffi_release_prepare || return 1

  rm -rf "$natives" && mkdir -p "$natives" || return 1
  for target in "${UNIFFI_TARGETS[@]}"; do
    prefix=$(jvm_resource_prefix "$target") || return 1
    mkdir -p "$natives/$prefix" && cp "$(uniffi_release_lib "$target")" "$natives/$prefix/" || return 1
  done
  if [ -n "${KOMPLIANT_JVM_EXTRA_NATIVES:-}" ]; then
    local extra
    for extra in "$KOMPLIANT_JVM_EXTRA_NATIVES"/*/; do
      [ -d "$extra" ] || { echo "package jvm: KOMPLIANT_JVM_EXTRA_NATIVES=$KOMPLIANT_JVM_EXTRA_NATIVES holds no <prefix>/ folder" >&2; return 1; }
      prefix=$(basename "$extra")
      [ ! -e "$natives/$prefix" ] || { echo "package jvm: $prefix/ is built here; KOMPLIANT_JVM_EXTRA_NATIVES must not replace it" >&2; return 1; }
      step "package jvm: adding $prefix/ from $KOMPLIANT_JVM_EXTRA_NATIVES"
      cp -r "$extra" "$natives/$prefix" || return 1
    done
  fi

  step "package jvm: mvn -Prelease deploy (jar with natives, sources, javadoc via Dokka) into dist/maven and ~/.m2"
  rm -rf "$out" && mkdir -p "$out" || return 1
  # No tests here: the jar's own test is the install test (scripts/test dist: a fresh project
  # resolves it from dist/maven and runs every vector); scripts/test kotlin tests the code.
  if ! (cd "$kotlin_dir" && mvn -B -Dstyle.color=never -Prelease -Dmaven.test.skip=true \
          -Duniffi.generated.dir="$UNIFFI_RELEASE_OUT/kotlin" -Dkompliant.natives.dir="$natives" \
          -DaltDeploymentRepository="kompliant-dist::file://$out" \
          clean deploy) >"$log" 2>&1; then
    grep -E '^\[(ERROR|WARNING)\]' "$log" | tail -40 >&2
    echo "package jvm: mvn -Prelease deploy failed (log: $log)" >&2
    return 1
  fi
  jvm_check_repository "$out" "$natives"
}

# Fails unless Maven repository $1 holds the jar, its sources and javadoc jars and the POM,
# the jar carries exactly the natives of directory $2 (byte for byte) and the POM the
# metadata a registry asks for.
jvm_check_repository() {
  local repo=$1 natives=$2 dir base jar f prefix
  dir="$repo/com/kompliant/kompliant-webhooks/$VERSION"
  base="$dir/kompliant-webhooks-$VERSION"
  for f in "$base.jar" "$base-sources.jar" "$base-javadoc.jar" "$base.pom"; do
    [ -s "$f" ] || { echo "package jvm: $f is missing from the repository" >&2; return 1; }
  done
  jar="$base.jar"
  local lib
  for lib in "$natives"/*/*; do
    f=${lib#"$natives"/}
    unzip -p "$jar" "$f" | cmp -s - "$lib" \
      || { echo "package jvm: $f in the jar differs from the built library (or is missing)" >&2; return 1; }
  done
  # Listings captured first: `unzip -l | grep -q` fails under pipefail when grep stops early.
  local listing sources javadoc
  listing=$(unzip -Z1 "$jar") && sources=$(unzip -Z1 "$base-sources.jar") && javadoc=$(unzip -Z1 "$base-javadoc.jar") || return 1
  grep -qx 'com/kompliant/webhooks/Keyring.class' <<<"$listing" || { echo "package jvm: the jar has no compiled bindings" >&2; return 1; }
  grep -qx 'com/kompliant/webhooks/kompliant_webhooks.kt' <<<"$sources" || { echo "package jvm: the sources jar lacks the generated Kotlin" >&2; return 1; }
  if grep -q "$UNIFFI_LIB_NAME" <<<"$sources"; then echo "package jvm: the sources jar carries a native library" >&2; return 1; fi
  grep -qx 'index.html' <<<"$javadoc" || { echo "package jvm: the javadoc jar has no index.html" >&2; return 1; }
  for f in '<url>' '<scm>' '<licenses>' '<developers>' '<description>'; do
    grep -q "$f" "$base.pom" || { echo "package jvm: the POM has no $f" >&2; return 1; }
  done
  echo "package jvm: $(basename "$jar") ($(( $(stat -c %s "$jar") / 1024 )) KiB) carries $(cd "$natives" && echo */ | tr -d /); sources $(( $(stat -c %s "$base-sources.jar") / 1024 )) KiB, javadoc $(( $(stat -c %s "$base-javadoc.jar") / 1024 )) KiB" >&2
}
