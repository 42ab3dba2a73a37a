# The JVM install test (part of scripts/test dist; sourced by scripts/test): a fresh Maven
# project in a temporary directory outside the repository (tests/dist/jvm-consumer, copied)
# depends on com.kompliant:kompliant-webhooks:<version> from dist/maven, declared as a file
# repository, and runs every conformance vector with no jna.library.path: JNA must find the
# native inside the jar. Maven runs with cargo and rustc off PATH ($DIST_NO_RUST_PATH) and a
# local repository of its own, cached outside the repo, from which our group is deleted before
# each run: the artifact can only come from dist/maven (the check also compares the resolved
# jar with dist's byte for byte, and reads JNA's log to see the native came out of that jar).

DIST_JVM_M2="${KOMPLIANT_DIST_CACHE:-/var/cache/kompliant-webhooks}/m2-dist-check"

dist_check_jvm() {
  local start=$SECONDS rc=0 tmp total artifact="com.kompliant:kompliant-webhooks:$VERSION"
  local dist_jar="$DIST/maven/com/kompliant/kompliant-webhooks/$VERSION/kompliant-webhooks-$VERSION.jar"
  local log="$TOOLS/dist-jvm.log" natives
  [ -f "$dist_jar" ] || { SUMMARY+=("dist: jvm: FAIL - $dist_jar is missing (scripts/package jvm)"); return 1; }
  natives=$(unzip -Z1 "$dist_jar" | sed -n 's|^\([a-z0-9-]*\)/libkompliant_webhooks_uniffi.so$|\1|p' | tr '\n' ' ')
  natives=${natives% }
  total=$(dist_vector_total) || return 1
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
    SUMMARY+=("dist: jvm: FAIL - the consumer project did not build against $artifact from dist/maven (log: $log)")
    rm -rf "$tmp"; return 1
  fi
  dist_figure jvm_consumer_build_seconds "$secs"
  # Resolved from dist/maven, and nowhere else: the jar in the local repository is dist's.
  local resolved="$DIST_JVM_M2/com/kompliant/kompliant-webhooks/$VERSION/kompliant-webhooks-$VERSION.jar"
  if ! cmp -s "$resolved" "$dist_jar"; then
    SUMMARY+=("dist: jvm: FAIL - the consumer's $artifact is not the jar in dist/maven")
    rm -rf "$tmp"; return 1
  fi
  grep -q "kompliant-webhooks-$VERSION.jar>kompliant-dist=" "$DIST_JVM_M2/com/kompliant/kompliant-webhooks/$VERSION/_remote.repositories" \
    || { SUMMARY+=("dist: jvm: FAIL - Maven did not record dist/maven (kompliant-dist) as the jar's origin"); rm -rf "$tmp"; return 1; }

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
  SUMMARY+=("dist: jvm$([ "$rc" = 0 ] || echo " FAIL -") $artifact (jar with ${natives// / + } natives) on $(uname -m) JDK ${jvm:-?} from dist/maven, no jna.library.path (JNA loaded ${prefix:-nothing}/ from the jar): ${passed:-0}/$total vectors in $((SECONDS - start))s")
  rm -rf "$tmp"
  return "$rc"
}
