# Shared helpers for scripts/*. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Where tools the scripts install live (git-ignored, reused between runs).
TOOLS="$ROOT/target/tools"
mkdir -p "$TOOLS"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages (without recommends), once per machine: apt-get update at most once
# per checkout, waiting for another apt run's lock; the log goes to $TOOLS/apt-<first>.log.
apt_install() {
  if [ ! -f "$TOOLS/.apt-updated" ]; then
    apt-get update -qq >&2 && touch "$TOOLS/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" \
    >"$TOOLS/apt-$1.log" 2>&1 \
    || { tail -20 "$TOOLS/apt-$1.log" >&2; printf 'error: apt-get install %s failed\n' "$*" >&2; return 1; }
}

# A TCP port free on 127.0.0.1 right now (a server started on it may still lose a race: retry).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Private servers the suites start (redis-common.sh, postgres-common.sh) register their stop
# function here while they run; one trap stops them all on exit, Ctrl-C or a kill, so nested
# servers (redis_with_server postgres_with_server CMD) are all stopped, whichever exits.
SERVER_STOPS=()
servers_stop() { local f; for f in "${SERVER_STOPS[@]}"; do "$f"; done; }

# Runs CMD... with START run before it and STOP always after it (also on Ctrl-C or a kill).
with_server() {
  local start=$1 stop=$2 rc=0 saved_exit saved_int saved_term
  shift 2
  saved_exit=$(trap -p EXIT); saved_int=$(trap -p INT); saved_term=$(trap -p TERM)
  SERVER_STOPS+=("$stop")
  trap 'servers_stop' EXIT
  trap 'servers_stop; exit 130' INT
  trap 'servers_stop; exit 143' TERM
  if "$start"; then
    "$@" || rc=$?
  else
    rc=1
  fi
  "$stop"
  unset 'SERVER_STOPS[-1]'
  trap - EXIT INT TERM
  eval "$saved_exit"; eval "$saved_int"; eval "$saved_term"
  return "$rc"
}

# A Python virtualenv with the vector generator's dependency (Python `cryptography`).
tools_python() {
  local venv="$TOOLS/venv"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import cryptography' 2>/dev/null; then
    step "creating $venv (Python cryptography, for the independent vector generator)"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'cryptography>=42' >&2
  fi
  echo "$venv/bin/python"
}

# Sums the "test result" lines of cargo test output (file $1) into "P passed, F failed, I ignored".
cargo_counts() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1); if ($(i) ~ /^ignored/) ig += $(i-1) } }
       END { printf "%d passed, %d failed, %d ignored", p, f, ig }' "$1"
}

# The number of conformance cases tests/vectors/webhooks.json holds (every suite's total).
vector_total() {
  python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$ROOT/tests/vectors/webhooks.json"
}

# Unmounts ROOT/proc if it is mounted (lazily when busy).
chroot_unmount_proc() {
  if mountpoint -q "$1/proc" 2>/dev/null; then
    umount "$1/proc" || umount -l "$1/proc"
  fi
}

# Runs the shell command line $2 inside the chroot $1 with /proc mounted (the Swift and arm64
# roots), in a clean environment, and unmounts /proc afterwards whatever happens (also on
# Ctrl-C or a kill of scripts/test). Returns the command's status.
chroot_run() {
  local root=$1 rc=0 saved_exit saved_int saved_term
  saved_exit=$(trap -p EXIT); saved_int=$(trap -p INT); saved_term=$(trap -p TERM)
  # shellcheck disable=SC2064 # the root is fixed now, on purpose
  trap "chroot_unmount_proc '$root'" EXIT
  # shellcheck disable=SC2064
  trap "chroot_unmount_proc '$root'; exit 130" INT
  # shellcheck disable=SC2064
  trap "chroot_unmount_proc '$root'; exit 143" TERM
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || rc=1
  if [ "$rc" = 0 ]; then
    env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      chroot "$root" /bin/bash -c "$2" || rc=$?
  fi
  chroot_unmount_proc "$root"
  trap - EXIT INT TERM
  eval "$saved_exit"; eval "$saved_int"; eval "$saved_term"
  return "$rc"
}

# The rotation test of issue 13 (tests/rotation/rotation.py): `rotation_run LANG CMD...` runs
# receiver command CMD (it watches $KOMPLIANT_KEYRING_FILE) while the simulator streams
# webhooks and the key is rotated twice by another process. Prints the summary for the
# suite's line ("240 webhooks, 2 rotations, 0 UNKNOWN_KEY, 0 lost"); returns 1 on FAIL.
rotation_run() {
  local name=$1 out rc=0; shift
  cargo build --locked -q -p kompliant-cli >&2 || return 1
  out=$("$(tools_python)" "$ROOT/tests/rotation/rotation.py" --name "$name" \
    --kompliant "$ROOT/target/debug/kompliant" -- "$@" 2>&1) || rc=$?
  printf '%s\n' "$out" >&2
  [ "$rc" = 0 ] || return 1
  local summary
  summary=$(printf '%s\n' "$out" | sed -n "s/^rotation($name): PASS - \([0-9]* webhooks\), 2 rotations ([^)]*), \([0-9]* UNKNOWN_KEY\), \([0-9]* lost\).*/\1, 2 rotations, \2, \3/p")
  # No PASS line (the test's output changed, or it exited 0 without running): a failure.
  [ -n "$summary" ] || { echo "rotation($name): no PASS line in the test's output" >&2; return 1; }
  printf '%s\n' "$summary"
}
