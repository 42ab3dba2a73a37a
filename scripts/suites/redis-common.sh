# A private redis-server for the duplicate-guard tests of the Python and Node suites (sourced
# by scripts/test; defines no suite). redis_with_server CMD... installs the Debian package
# redis-server if `redis-server` is missing, starts one instance on a free loopback port
# (no persistence, in a temporary directory), runs CMD with KOMPLIANT_TEST_REDIS_URL set,
# and always stops the instance, also on Ctrl-C or a kill of scripts/test.

REDIS_PID=""
REDIS_DIR=""

redis_install() {
  command -v redis-server >/dev/null 2>&1 && return 0
  step "installing redis-server (apt-get) for the Redis guard tests"
  apt_install redis-server || return 1
  command -v redis-server >/dev/null 2>&1
}

redis_stop() {
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
  fi
  if [ -n "$REDIS_DIR" ]; then
    rm -rf "$REDIS_DIR"
    REDIS_DIR=""
  fi
}

# Starts the instance; sets KOMPLIANT_TEST_REDIS_URL. Retries with another port if the one
# picked was taken in between.
redis_start() {
  local port attempt
  REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kompliant-redis.XXXXXX") || return 1
  for attempt in 1 2 3; do
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" \
      --daemonize no --logfile "$REDIS_DIR/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 50); do
      if python3 - "$port" <<'PY' 2>/dev/null; then
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
        export KOMPLIANT_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
        step "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port (private, no persistence)"
        return 0
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=""
  done
  tail -20 "$REDIS_DIR/redis.log" >&2 2>/dev/null
  printf 'error: could not start redis-server\n' >&2
  return 1
}

redis_with_server() {
  redis_install || return 1
  local rc=0
  with_server redis_start redis_stop "$@" || rc=$?
  unset KOMPLIANT_TEST_REDIS_URL
  return "$rc"
}
