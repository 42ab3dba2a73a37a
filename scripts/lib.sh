# Shared helpers for scripts/*. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Where tools the scripts install live (git-ignored, reused between runs).
TOOLS="$ROOT/target/tools"
mkdir -p "$TOOLS"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

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
