#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests and measurements.
#
#   Scripts/postgres-cluster.sh start DIR PORT   initdb in DIR (if new), start on 127.0.0.1:PORT, print its URL
#   Scripts/postgres-cluster.sh stop DIR [MODE]  stop it (MODE: fast, the default, or immediate: no
#                                                checkpoint, sessions cut off as in a crash)
#   Scripts/postgres-cluster.sh restart DIR      stop and start again (same data)
#
# Trust authentication for the local test role `nccmatch` (superuser, so tests can create databases);
# nothing listens beyond 127.0.0.1. initdb refuses to run as root, so as root the cluster runs as the
# `postgres` user (or `nobody` when there is none).
set -euo pipefail

command=${1:?start, stop or restart}
dir=${2:?cluster directory}

bin=""
for candidate in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
  if [ -n "$candidate" ] && [ -x "$candidate/initdb" ]; then bin=$candidate; fi
done
if [ -z "$bin" ]; then
  echo "postgres-cluster: no initdb found; install the postgresql package" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local owner=postgres
    id "$owner" >/dev/null 2>&1 || owner=nobody
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

case "$command" in
  start)
    port=${3:?port}
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      if [ "$(id -u)" = 0 ]; then
        owner=postgres; id "$owner" >/dev/null 2>&1 || owner=nobody
        chown "$owner" "$dir"
      fi
      as_owner "$bin/initdb" -D "$dir/data" -U nccmatch --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      echo "$port" >"$dir/port"
      # A self-signed certificate, so tests can check sslmode=require (TLS is offered, never forced here).
      if command -v openssl >/dev/null 2>&1; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
          -keyout "$dir/data/server.key" -out "$dir/data/server.crt" >/dev/null 2>&1 \
          && chmod 600 "$dir/data/server.key" \
          && { [ "$(id -u)" != 0 ] || chown "$(stat -c %U "$dir/data")" "$dir/data/server.key" "$dir/data/server.crt"; } \
          && echo "ssl = on" >>"$dir/data/postgresql.conf"
      fi
    fi
    port=$(cat "$dir/port")
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://nccmatch@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  stop)
    mode=${3:-fast}
    case "$mode" in fast|immediate) ;; *) echo "postgres-cluster: stop mode is fast or immediate" >&2; exit 2 ;; esac
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 30 stop >/dev/null || true
    ;;
  restart)
    "$0" stop "$dir"
    "$0" start "$dir" "$(cat "$dir/port")" >/dev/null
    ;;
  *)
    echo "postgres-cluster: unknown command $command" >&2
    exit 2
    ;;
esac
