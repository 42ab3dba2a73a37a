# A private PostgreSQL server for the PostgreSQL guard tests of the Python and Node suites
# (sourced by scripts/test; defines no suite). postgres_with_server CMD... installs Debian's
# postgresql package if no server binary is found, creates a throwaway cluster in a temporary
# directory (trust authentication, loopback only, fsync off: test data only), starts it on a
# free loopback port, runs CMD with KOMPLIANT_TEST_POSTGRES_URL set, and always stops the
# server and removes the cluster, also on Ctrl-C or a kill of scripts/test. The server never
# runs as root: as root, the cluster belongs to the package's `postgres` user.

PG_PID=""
PG_DIR=""

# The directory of the newest installed server's binaries (initdb, postgres), or nothing.
postgres_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && printf '%s\n' "$dir"
}

postgres_install() {
  [ -n "$(postgres_bindir)" ] && return 0
  step "installing postgresql (apt-get, once) for the PostgreSQL guard tests"
  apt_install postgresql || return 1
  [ -n "$(postgres_bindir)" ]
}

# Runs a server binary as the cluster's owner (the `postgres` user when this runs as root).
postgres_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Stops the server of a failed start attempt, keeping the cluster for the next attempt.
postgres_stop_server_only() {
  postgres_as_owner "$(postgres_bindir)/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop >/dev/null 2>&1 \
    || kill -KILL "$PG_PID" 2>/dev/null || true
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=""
}

postgres_stop() {
  if [ -n "$PG_PID" ]; then
    # pg_ctl's fast shutdown (clients disconnected, no waiting for them). Not a signal to
    # $PG_PID: that is runuser's pid when run as root, and a background job ignores SIGINT.
    postgres_as_owner "$(postgres_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || kill -KILL "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
    PG_PID=""
  fi
  if [ -n "$PG_DIR" ]; then
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

# Creates the cluster and starts the server; sets KOMPLIANT_TEST_POSTGRES_URL. Retries with
# another port if the one picked was taken in between.
postgres_start() {
  local bin port attempt
  bin=$(postgres_bindir) || return 1
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kompliant-postgres.XXXXXX") || return 1
  chmod 755 "$PG_DIR"
  mkdir -p "$PG_DIR/data" "$PG_DIR/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_DIR/data" "$PG_DIR/socket"
  postgres_as_owner "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-instructions \
    >"$PG_DIR/initdb.log" 2>&1 \
    || { tail -20 "$PG_DIR/initdb.log" >&2; printf 'error: initdb failed\n' >&2; return 1; }
  # Test data needs no durability; POSTGRES_DURABLE=1 (the guard benchmark) keeps
  # PostgreSQL's defaults, so a commit costs what it costs users.
  local speed=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off) kind="throwaway cluster"
  [ "${POSTGRES_DURABLE:-0}" = 1 ] && speed=() kind="throwaway cluster, durable commits"
  for attempt in 1 2 3; do
    port=$(free_port)
    postgres_as_owner "$bin/postgres" -D "$PG_DIR/data" -p "$port" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories="$PG_DIR/socket" "${speed[@]}" \
      -c max_connections=100 >"$PG_DIR/postgres.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 100); do
      if postgres_as_owner "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres 2>/dev/null; then
        export KOMPLIANT_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
        step "postgres $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (private, $kind)"
        return 0
      fi
      kill -0 "$PG_PID" 2>/dev/null || break
      sleep 0.1
    done
    postgres_stop_server_only
  done
  tail -20 "$PG_DIR/postgres.log" >&2 2>/dev/null
  printf 'error: could not start postgres\n' >&2
  return 1
}

postgres_with_server() {
  postgres_install || return 1
  local rc=0
  with_server postgres_start postgres_stop "$@" || rc=$?
  unset KOMPLIANT_TEST_POSTGRES_URL
  return "$rc"
}
