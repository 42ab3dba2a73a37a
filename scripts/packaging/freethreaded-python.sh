#!/usr/bin/env bash
# Builds and caches a free-threaded CPython (configure --disable-gil) outside the repo, for
# issue 16: building the payload dict needs the GIL on a default CPython, so a decrypt of many
# small fields can only scale across threads on a free-threaded interpreter. Standalone (not
# sourced by scripts/package, not wired into scripts/test or .ci/run).
#
#   scripts/packaging/freethreaded-python.sh [3.14|3.13]    # prints the interpreter's path
#
# 3.14 (the default) is what the SDK needs: pyo3 0.29 dropped 3.13t (pyo3-ffi's build script
# refuses free-threaded CPython below 3.14), so with the workspace's pyo3 0.30 only 3.14t
# works. 3.13 is for experiments only (a copy of the tree with pyo3 0.28.3, the last release
# that builds for 3.13t).
#
# Sources: Debian's copies of the upstream tarballs (python.org is not reachable from these
# machines; Debian's pool is), each checked against the sha256 of Debian's source index
# (python3.13_3.13.5-2.dsc; sid's Sources for python3.14 3.14.9-1). As of 2026-12-06 the pool
# serves python3.13's files but answers 404 for every python3.14 file sid's index lists
# (3.14.9 and 3.14.10, orig and debian tarballs alike), so 3.14 fails at the download here.
#
# Idempotent: does nothing when the interpreter exists and reports the GIL disabled.
# Needs build-essential, zlib1g-dev and libffi-dev (pip/venv need zlib; ctypes needs ffi).
# No PGO/LTO (--enable-optimizations adds ~20 min on 2 cores): what matters is 1 vs 2
# threads on the same interpreter. ~4 min with make -j2 on an idle 2-core machine.
set -euo pipefail

case "${1:-3.14}" in
  3.14)
    MINOR=3.14 VERSION=3.14.9
    SHA256=e02d9ac21cebda6e46435369744a92c65cc7cd8669697694122cf97ffacd1e53
    ;;
  3.13)
    MINOR=3.13 VERSION=3.13.5
    SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
    ;;
  *) echo "usage: $0 [3.14|3.13]" >&2; exit 2 ;;
esac
URL="http://deb.debian.org/debian/pool/main/p/python${MINOR}/python${MINOR}_${VERSION}.orig.tar.xz"
CACHE=${KOMPLIANT_CACHE:-/var/cache/kompliant-webhooks}
PREFIX="$CACHE/cpython-${MINOR}t"
SRC="$CACHE/src-cpython"
PY="$PREFIX/bin/python${MINOR}t"

if [ -x "$PY" ] && [ "$("$PY" -c 'import sys; print(sys._is_gil_enabled())' 2>/dev/null)" = False ]; then
  echo "$PY"
  exit 0
fi

mkdir -p "$SRC"
tarball="$SRC/python${MINOR}_${VERSION}.orig.tar.xz"
if [ ! -f "$tarball" ] || ! echo "$SHA256  $tarball" | sha256sum -c --quiet - 2>/dev/null; then
  echo "freethreaded-python: downloading $URL" >&2
  curl -sSf -o "$tarball.part" "$URL" \
    || { echo "freethreaded-python: could not download CPython $VERSION's source (see the header)" >&2; exit 1; }
  mv "$tarball.part" "$tarball"
fi
echo "$SHA256  $tarball" | sha256sum -c --quiet - || { echo "freethreaded-python: sha256 mismatch" >&2; exit 1; }

for pkg in build-essential zlib1g-dev libffi-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || { echo "freethreaded-python: needs the Debian package $pkg" >&2; exit 1; }
done

build="$SRC/build-${VERSION}t"
rm -rf "$build" && mkdir -p "$build"
tar -xJf "$tarball" -C "$build" --strip-components=1
cd "$build"
echo "freethreaded-python: configure --disable-gil --prefix=$PREFIX" >&2
./configure --disable-gil --prefix="$PREFIX" --with-ensurepip=install >"$build/configure.log" 2>&1 \
  || { tail -n 30 "$build/configure.log" >&2; exit 1; }
echo "freethreaded-python: make -j${KOMPLIANT_FT_JOBS:-2} (log: $build/make.log)" >&2
make -j"${KOMPLIANT_FT_JOBS:-2}" >"$build/make.log" 2>&1 || { tail -n 30 "$build/make.log" >&2; exit 1; }
make install >"$build/install.log" 2>&1 || { tail -n 30 "$build/install.log" >&2; exit 1; }

gil=$("$PY" -c 'import sys; print(sys._is_gil_enabled())')
[ "$gil" = False ] || { echo "freethreaded-python: $PY reports the GIL enabled ($gil)" >&2; exit 1; }
echo "$PY"
