# package_node: the npm packages into dist/npm/ (sourced by scripts/package), the napi-rs v3
# way (as the napi-rs package template and lancedb publish):
#   kompliant-webhooks-<platform>-<v>.tgz  one per built target, with os/cpu/libc, holding
#       kompliant-webhooks.<platform>.node; made by `napi create-npm-dirs` + `napi artifacts`.
#       Linux targets are cross-built with `napi build -x` (cargo-zigbuild), gnu ones linked
#       against glibc 2.17 and checked for it;
#   kompliant-webhooks-wasm32-wasi-<v>.tgz  the wasm32-wasip1-threads build (napi's WASI
#       support, run by @napi-rs/wasm-runtime): the fallback where no native package fits;
#   kompliant-webhooks-<v>.tgz  the main package: the JS layer, napi's generated loader
#       (binding.js), the Rust sources for the opt-in source build, the edge entry
#       (kompliant-webhooks/edge: its bundles and the WebAssembly core, built here first by
#       edge.sh's edge_build and `npm run build:edge`; prepack refuses to pack without them),
#       and optionalDependencies on every platform package in dist/npm/ at the same version.
# KOMPLIANT_DIST_TARGETS picks the targets (default: the four Linux ones and the wasm one);
# each must be one of node/package.json's napi.targets. A release job on a macOS or Windows
# runner builds its own targets (plain `napi build`, no zig) into dist/npm/; the Linux job
# that publishes puts those tarballs into its dist/npm/ first, then runs this, and the main
# package lists every platform package found there (only this run's targets are replaced).

# shellcheck source=edge.sh
source "$ROOT/scripts/packaging/edge.sh"

# What the main tarball holds of the edge entry and its types, exactly: the three bundles, the
# wasm-bindgen glue and module they import, the types (the shared declarations included) and
# the `"type": "module"` marker; not edge/src (bundled in) nor the glue's own .d.ts files.
NODE_EDGE_FILES=(edge/index.mjs edge/workerd.mjs edge/edge-light.mjs edge/index.d.ts edge/package.json
  edge/wasm/kompliant_webhooks.js edge/wasm/kompliant_webhooks_bg.wasm types/receive.d.ts)

package_node() {
  local out="$DIST/npm" stage targets=() target main
  if [ -n "${KOMPLIANT_DIST_TARGETS:-}" ]; then
    read -r -a targets <<<"$KOMPLIANT_DIST_TARGETS"
  else
    targets=("${LINUX_TARGETS[@]}" wasm32-wasip1-threads)
  fi
  node_package_deps || return 1
  local pkg_version
  pkg_version=$(node -p 'require(process.argv[1]).version' "$ROOT/node/package.json")
  [ "$pkg_version" = "$VERSION" ] || { echo "package node: node/package.json is at $pkg_version, the workspace at $VERSION (one version for every artifact)" >&2; return 1; }
  for target in "${targets[@]}"; do
    node -e 'process.exit(require(process.argv[1]).napi.targets.includes(process.argv[2]) ? 0 : 1)' "$ROOT/node/package.json" "$target" ||
      { echo "package node: $target is not in node/package.json's napi.targets" >&2; return 1; }
  done

  stage=$(mktemp -d)
  mkdir -p "$out"
  # This run's packages are replaced; platform tarballs other runners put here are kept.
  rm -f "$out/kompliant-webhooks-$VERSION.tgz"
  for target in "${targets[@]}"; do
    rm -f "$out/kompliant-webhooks-$(node_platform_suffix "$target")-"*.tgz
  done

  # 0. The edge entry's build products, which the main package ships (kompliant-webhooks/edge).
  step "package node: the edge entry (edge_build: the WebAssembly core; npm run build:edge: the bundles)"
  edge_build || { rm -rf "$stage"; return 1; }
  (cd "$ROOT/node" && npm run --silent build:edge) >&2 || { rm -rf "$stage"; return 1; }

  # 1. The main package as `npm pack` makes it (prepack checks every listed file is there and
  #    vendors the Rust sources), unpacked: napi create-npm-dirs reads its package.json.
  step "package node: npm pack of node/ (the main package, with the vendored Rust sources)"
  (cd "$ROOT/node" && npm pack --silent --pack-destination "$stage") >"$stage/pack.out" || { rm -rf "$stage"; return 1; }
  tar -xzf "$stage/$(tail -1 "$stage/pack.out")" -C "$stage" || { rm -rf "$stage"; return 1; }
  main="$stage/package"
  cp "$ROOT/LICENSE" "$main/LICENSE" || { rm -rf "$stage"; return 1; }
  # napi wants every directory it manages inside the package; `files` keeps them out of the
  # main tarball. napi artifacts wants an artifact for every napi.targets entry: narrowed to
  # this run's targets here, restored in step 5.
  mkdir -p "$main/artifacts" "$main/wasm"
  node -e '
    const fs = require("fs"), [file, ...targets] = process.argv.slice(1);
    const p = JSON.parse(fs.readFileSync(file, "utf8"));
    p.napi.targets = targets;
    fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");
  ' "$main/package.json" "${targets[@]}" || { rm -rf "$stage"; return 1; }
  (cd "$ROOT/node" && npx --no-install napi create-npm-dirs --cwd "$main" --npm-dir npm) >&2 || { rm -rf "$stage"; return 1; }

  # 2. One build per target.
  for target in "${targets[@]}"; do
    node_build_target "$target" "$main" || { rm -rf "$stage"; return 1; }
  done

  # 3. napi artifacts moves each .node (and the wasm build's files) into its package.
  (cd "$ROOT/node" && npx --no-install napi artifacts --cwd "$main" --output-dir artifacts \
    --npm-dir npm --build-output-dir wasm) >&2 || { rm -rf "$stage"; return 1; }

  # 4. Pack the platform packages that were built.
  local dir suffix
  for target in "${targets[@]}"; do
    suffix=$(node_platform_suffix "$target")
    dir="$main/npm/$suffix"
    cp "$ROOT/LICENSE" "$dir/LICENSE"
    node_check_platform_dir "$dir" "$suffix" || { rm -rf "$stage"; return 1; }
    (cd "$dir" && npm pack --silent --pack-destination "$out") >&2 || { rm -rf "$stage"; return 1; }
  done

  # 5. The main package: optionalDependencies on every platform package in dist/npm (this
  #    run's and any a release job put there), at this version; then pack it.
  step "package node: the main package, with optionalDependencies on every platform package in dist/npm"
  node -e '
    const fs = require("fs"), path = require("path");
    const [file, dir, version, source] = process.argv.slice(1);
    const p = JSON.parse(fs.readFileSync(file, "utf8"));
    p.napi.targets = JSON.parse(fs.readFileSync(source, "utf8")).napi.targets;
    const names = fs.readdirSync(dir)
      .filter((f) => f.startsWith(`${p.name}-`) && f.endsWith(`-${version}.tgz`))
      .map((f) => f.slice(0, -`-${version}.tgz`.length))
      .filter((n) => n !== p.name).sort();
    if (!names.length) throw new Error("no platform package in " + dir);
    p.optionalDependencies = Object.fromEntries(names.map((n) => [n, version]));
    fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");
    console.error("optionalDependencies: " + names.join(", "));
  ' "$main/package.json" "$out" "$VERSION" "$ROOT/node/package.json" || { rm -rf "$stage"; return 1; }
  (cd "$main" && npm pack --silent --ignore-scripts --pack-destination "$out") >&2 || { rm -rf "$stage"; return 1; }
  rm -rf "$stage"
  [ -f "$out/kompliant-webhooks-$VERSION.tgz" ] || { echo "package node: the main tarball is missing" >&2; return 1; }
  node_check_main_tarball "$out/kompliant-webhooks-$VERSION.tgz" || return 1
  ls -l "$out" >&2
}

# The main tarball $1 holds the edge entry exactly (NODE_EDGE_FILES under edge/ and types/,
# nothing else there) and no native binary: napi artifacts also drops each binary into the
# package root, and `files` must keep them out; the one .wasm is the edge entry's core.
node_check_main_tarball() {
  local list want
  list=$(tar -tzf "$1" | sed 's|^package/||' | grep -v '/$') || return 1
  want=$(printf '%s\n' "${NODE_EDGE_FILES[@]}" | sort)
  if [ "$(grep -E '^(edge|types)/' <<<"$list" | sort)" != "$want" ]; then
    echo "package node: the main tarball's edge/ and types/ files differ from what the edge entry needs (< tarball, > needed):" >&2
    diff <(grep -E '^(edge|types)/' <<<"$list" | sort) <(echo "$want") >&2
    return 1
  fi
  if grep -E '\.node$|\.wasm$' <<<"$list" | grep -vx 'edge/wasm/kompliant_webhooks_bg.wasm' >&2; then
    echo "package node: the main tarball holds a binary (above); binaries belong in the platform packages" >&2
    return 1
  fi
  echo "package node: the main tarball holds the edge entry ($(grep -c . <<<"$want") files) and no native binary" >&2
}

# node/node_modules (the napi CLI, emnapi for the wasm link) current with package-lock.json;
# the same stamp as scripts/suites/node.sh's npm_ci_cached.
node_package_deps() {
  local dir="$ROOT/node" want stamp
  stamp="$dir/node_modules/.kompliant-lock-sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  step "package node: npm ci in node/ (the napi CLI)"
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline) >&2 || return 1
  echo "$want" >"$stamp"
}

# napi's platform name of a Rust target: x86_64-unknown-linux-gnu → linux-x64-gnu,
# wasm32-wasip1-threads → wasm32-wasi.
node_platform_suffix() {
  (cd "$ROOT/node" && node -e '
    const { parseTriple } = require("@napi-rs/cli");
    console.log(parseTriple(process.argv[1]).platformArchABI);
  ' "$1")
}

# Builds the napi crate for one target into $2/artifacts (the wasm build's files into $2/wasm),
# $2 being the unpacked main package.
node_build_target() {
  local target=$1 stage=$2 build suffix
  build="$stage/build-$target"
  suffix=$(node_platform_suffix "$target") || return 1
  local napi=(npx --no-install napi build --platform --release --manifest-path "$ROOT/bindings/node/Cargo.toml"
    --target-dir "$DIST_TARGET_DIR" --dts index.d.ts)
  case "$target" in
    wasm32-*)
      # zig's clang compiles ring's C for wasm32 (napi -x: cargo-zigbuild), emnapi links it.
      step "package node: $target (napi build -x, the WebAssembly fallback)"
      (cd "$ROOT/node" && "${napi[@]}" --target "$target" -x --output-dir "$stage/wasm" --js loader.js) >&2 || return 1
      cp "$stage/wasm/kompliant-webhooks.$suffix.wasm" "$stage/artifacts/" || return 1
      ;;
    *-linux-*)
      step "package node: $target (napi build -x: cargo-zigbuild, $(zig_target "$target"))"
      (cd "$ROOT/node" && "${napi[@]}" --target "$(zig_target "$target")" -x --output-dir "$build" --no-js) >&2 || return 1
      cp "$build/kompliant-webhooks.$suffix.node" "$stage/artifacts/" || return 1
      ;;
    *)
      step "package node: $target (napi build, this runner's own toolchain)"
      (cd "$ROOT/node" && "${napi[@]}" --target "$target" --output-dir "$build" --no-js) >&2 || return 1
      cp "$build/kompliant-webhooks.$suffix."* "$stage/artifacts/" || return 1
      ;;
  esac
  case "$target" in
    *-linux-gnu) node_check_glibc "$stage/artifacts/kompliant-webhooks.$suffix.node" || return 1 ;;
  esac
}

# Fails if the library $1 needs a glibc symbol version newer than $DIST_GLIBC.
node_check_glibc() {
  local newest
  newest=$(readelf -W --dyn-syms "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
  [ -n "$newest" ] || { echo "package node: $(basename "$1") names no glibc symbol version (readelf)" >&2; return 1; }
  if [ "$(printf '%s\n%s\n' "$newest" "$DIST_GLIBC" | sort -V | tail -1)" != "$DIST_GLIBC" ]; then
    echo "package node: $(basename "$1") needs glibc $newest, newer than $DIST_GLIBC" >&2
    return 1
  fi
  echo "package node: $(basename "$1") needs glibc <= $newest (limit $DIST_GLIBC)" >&2
}

# The platform package dir $1 holds what its package.json names, with os/cpu (and libc on
# Linux) set: an npm install must never pick a package for another platform.
node_check_platform_dir() {
  node -e '
    const fs = require("fs"), path = require("path");
    const [dir, suffix] = process.argv.slice(1);
    const p = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const fail = (m) => { console.error(`package node: ${p.name}: ${m}`); process.exit(1); };
    if (!p.cpu || !p.cpu.length) fail("no cpu field");
    if (suffix !== "wasm32-wasi" && !(p.os && p.os.length)) fail("no os field");
    if (suffix.startsWith("linux-") && !(p.libc && p.libc.length)) fail("no libc field");
    for (const f of p.files) if (!fs.existsSync(path.join(dir, f))) fail(`${f} is missing`);
    if (!fs.existsSync(path.join(dir, p.main))) fail(`main ${p.main} is missing`);
  ' "$1" "$2"
}
