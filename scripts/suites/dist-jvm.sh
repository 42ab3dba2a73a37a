# The JVM install test (part of scripts/test dist; sourced by scripts/test): a fresh Maven
# project in a temporary directory outside the repository (tests/dist/jvm-consumer, copied)
# depends on com.kompliant:kompliant-webhooks:<version> from dist/maven, declared as a file
# repository, and runs every conformance vector with no jna.library.path: JNA must find the
# native inside the jar. Maven runs with cargo and rustc off PATH ($DIST_NO_RUST_PATH) and a
# local repository of its own, cached outside the repo, from which our group is deleted before
# each run: the artifact can only come from dist/maven (the check also compares the resolved
# jar with dist's byte for byte, and reads JNA's log to see the native came out of that jar).
# Then the same compiled consumer runs on an emulated arm64 JVM (arm64-common.sh's root, plus a
# JRE installed once) against the jar's linux-aarch64 native: a second summary line.

DIST_JVM_M2="${KOMPLIANT_DIST_CACHE:-/var/cache/kompliant-webhooks}/m2-dist-check"

dist_check_jvm() {
  local start=$SECONDS rc=0 tmp total artifact="com.kompliant:kompliant-webhooks:$VERSION"
  local dist_jar="$DIST/maven/com/kompliant/kompliant-webhooks/$VERSION/kompliant-webhooks-$VERSION.jar"
  local log="$TOOLS/dist-jvm.log" natives
  [ -f "$dist_jar" ] || { SUMMARY+=("dist: jvm FAIL - $dist_jar is missing (scripts/package jvm)"); return 1; }
  natives=$(unzip -Z1 "$dist_jar" | sed -n 's|^\([a-z0-9-]*\)/libkompliant_webhooks_uniffi.so$|\1|p' | tr '\n' ' ')
  natives=${natives% }
  total=$(vector_total) || return 1
  tmp=$(mktemp -d /tmp/kompliant-dist-jvm.XXXXXX) || return 1
  cp -r "$ROOT/tests/dist/jvm-consumer/." "$tmp/" && cp "$ROOT/tests/vectors/webhooks.json" "$tmp/" || { rm -rf "$tmp"; return 1; }
  mkdir -p "$DIST_JVM_M2" && rm -rf "$DIST_JVM_M2/com/kompliant"

  step "dist: jvm: a fresh Maven project resolves $artifact from dist/maven (no Rust on PATH)"
  local secs
  # PATH without cargo/rustc; no LD_LIBRARY_PATH either (nothing may hand the library over).
  if ! secs=$(cd "$tmp" && dist_time env -u LD_LIBRARY_PATH PATH="$DIST_NO_RUST_PATH" \
      mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$DIST_JVM_M2" \
        -Dkompliant.version="$VERSION" -Dkompliant.dist.url="file://$DIST/maven" \
        package dependency:build-classpath -Dmdep.outputFile=classpath.txt 2>"$log"); then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -30 >&2
    SUMMARY+=("dist: jvm FAIL - the consumer project did not build against $artifact from dist/maven (log: $log)")
    rm -rf "$tmp"; return 1
  fi
  dist_figure jvm_consumer_build_seconds "$secs"
  # Resolved from dist/maven, and nowhere else: the jar in the local repository is dist's.
  local resolved="$DIST_JVM_M2/com/kompliant/kompliant-webhooks/$VERSION/kompliant-webhooks-$VERSION.jar"
  if ! cmp -s "$resolved" "$dist_jar"; then
    SUMMARY+=("dist: jvm FAIL - the consumer's $artifact is not the jar in dist/maven")
    rm -rf "$tmp"; return 1
  fi
  grep -q "kompliant-webhooks-$VERSION.jar>kompliant-dist=" "$DIST_JVM_M2/com/kompliant/kompliant-webhooks/$VERSION/_remote.repositories" \
    || { SUMMARY+=("dist: jvm FAIL - Maven did not record dist/maven (kompliant-dist) as the jar's origin"); rm -rf "$tmp"; return 1; }

  step "dist: jvm: every conformance vector through the jar, no jna.library.path"
  local out jvm
  jvm=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  # jna.debug_load makes JNA log where it found the library; jna.tmpdir keeps its extraction
  # apart. No -Djna.library.path, no LD_LIBRARY_PATH.
  out=$(cd "$tmp" && env -u LD_LIBRARY_PATH PATH="$DIST_NO_RUST_PATH" \
    java -Djna.debug_load=true -Djna.tmpdir="$tmp/jna-extract" -cp "target/classes:$(cat classpath.txt)" \
      com.kompliant.distcheck.VectorsKt webhooks.json 2>"$tmp/stderr") || rc=1
  printf '%s\n' "$out" | grep -v '^vectors:' | head -20 >&2
  local passed ran
  passed=$(sed -n 's/^vectors: \([0-9]*\)\/[0-9]* passed$/\1/p' <<<"$out")
  ran=$(sed -n 's/^vectors: [0-9]*\/\([0-9]*\) passed$/\1/p' <<<"$out")
  [ -n "$passed" ] && [ "$passed" = "$total" ] && [ "$ran" = "$total" ] || rc=1
  # JNA found the library as a resource of the jar resolved from dist (it logs the URL).
  local where
  where=$(grep -o "Found library resource at jar:file:[^ ]*libkompliant_webhooks_uniffi.so" "$tmp/stderr" | head -1)
  case "$where" in
    *"$DIST_JVM_M2/com/kompliant/kompliant-webhooks/$VERSION/kompliant-webhooks-$VERSION.jar!/"*) ;;
    *)
      grep -iE 'kompliant|error|exception' "$tmp/stderr" | head -20 >&2
      echo "dist: jvm: JNA did not load libkompliant_webhooks_uniffi.so from the jar (its log above)" >&2
      rc=1 ;;
  esac
  [ "$rc" = 0 ] || tail -20 "$tmp/stderr" >&2
  local prefix=${where%/libkompliant_webhooks_uniffi.so}; prefix=${prefix##*!/}
  SUMMARY+=("dist: jvm $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $artifact (jar with ${natives// / + } natives) on $(uname -m) JDK ${jvm:-?} from dist/maven, no jna.library.path (JNA loaded ${prefix:-nothing}/ from the jar): ${passed:-0}/$total vectors in $((SECONDS - start))s")
  dist_jvm_arm64 "$tmp" "$artifact" "$total" || rc=1
  rm -rf "$tmp"
  return "$rc"
}

# The same consumer, compiled above (directory $1), run on an emulated arm64 JVM: the jar's
# linux-aarch64 native must load and pass every vector. The arm64 root (arm64-common.sh) gets
# Debian's default headless JRE once (~2 min under qemu); the run itself takes about a minute.
# $2 the artifact's coordinates, $3 the number of vectors.
dist_jvm_arm64() {
  local consumer=$1 artifact=$2 total=$3 start=$SECONDS rc=0 work out passed ran where jvm
  step "dist: jvm arm64: the same consumer on an emulated arm64 JVM (the jar's linux-aarch64 native)"
  arm64_root_ensure || { SUMMARY+=("dist: jvm arm64 FAIL - the emulated arm64 root could not be set up"); return 1; }
  if [ ! -x "$ARM64_ROOT/usr/bin/java" ]; then
    step "dist: jvm arm64: apt-get install default-jre-headless in the arm64 root (once, ~2 min under qemu)"
    arm64_run "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null" \
      >"$TOOLS/dist-jvm-arm64-apt.log" 2>&1
    [ -x "$ARM64_ROOT/usr/bin/java" ] || { tail -20 "$TOOLS/dist-jvm-arm64-apt.log" >&2; SUMMARY+=("dist: jvm arm64 FAIL - could not install a JRE into the arm64 root (log: $TOOLS/dist-jvm-arm64-apt.log)"); return 1; }
  fi
  # Our own directory in the root (arm64_stage_dir's /work belongs to whichever check runs).
  work="$ARM64_ROOT/work-jvm"
  rm -rf "$work" && mkdir -p "$work/lib" || return 1
  cp -r "$consumer/target/classes" "$work/classes" && cp "$consumer/webhooks.json" "$work/" || return 1
  local jars
  IFS=: read -r -a jars <"$consumer/classpath.txt"
  [ "${#jars[@]}" -gt 0 ] && cp "${jars[@]}" "$work/lib/" || { SUMMARY+=("dist: jvm arm64 FAIL - cannot copy the consumer's classpath into the root"); return 1; }
  out=$(arm64_run "cd /work-jvm && java -Djna.debug_load=true -Djna.tmpdir=/work-jvm/jna -cp 'classes:lib/*' com.kompliant.distcheck.VectorsKt webhooks.json 2>stderr") || rc=1
  printf '%s\n' "$out" | grep -v '^vectors:' | head -20 >&2
  passed=$(sed -n 's/^vectors: \([0-9]*\)\/[0-9]* passed$/\1/p' <<<"$out")
  ran=$(sed -n 's/^vectors: [0-9]*\/\([0-9]*\) passed$/\1/p' <<<"$out")
  [ -n "$passed" ] && [ "$passed" = "$total" ] && [ "$ran" = "$total" ] || rc=1
  where=$(grep -o "Found library resource at jar:file:[^ ]*libkompliant_webhooks_uniffi.so" "$work/stderr" 2>/dev/null | head -1)
  case "$where" in
    *"/work-jvm/lib/kompliant-webhooks-"*".jar!/linux-aarch64/libkompliant_webhooks_uniffi.so") where="JNA loaded linux-aarch64/ from the jar" ;;
    *) where="JNA did not load linux-aarch64/ from the jar"; echo "dist: jvm arm64: JNA did not load linux-aarch64/libkompliant_webhooks_uniffi.so from the jar" >&2; tail -20 "$work/stderr" >&2; rc=1 ;;
  esac
  jvm=$(arm64_run "java -version 2>&1" | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  rm -rf "$work"
  SUMMARY+=("dist: jvm arm64 $([ "$rc" = 0 ] && echo PASS || echo FAIL) - $artifact (the same jar) on an emulated arm64 Debian root, JDK ${jvm:-?}, no jna.library.path ($where): ${passed:-0}/$total vectors in $((SECONDS - start))s under qemu")
  return "$rc"
}
