#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster:
#   scripts/with_postgres.sh COMMAND [ARGS...]
# initdb in a temporary directory, start on a free loopback port, export DATABASE_URL, run the
# command, then stop the server and delete the directory whatever happened. PostgreSQL refuses to
# run as root, so under root the server runs as the "postgres" user.
set -euo pipefail

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
fi
if [ -z "$bindir" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with_postgres: no PostgreSQL server binaries found (run scripts/system_deps.sh postgresql)" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u postgres --)
fi

workdir=$(mktemp -d /tmp/cxoffice-pg.XXXXXX)
chmod 755 "$workdir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$workdir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

"${as_owner[@]}" "$bindir/initdb" -D "$workdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_owner[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -o \
  "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
  start >/dev/null
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres cxoffice

echo "with_postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway)"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/cxoffice"
set +e
"$@"
status=$?
set -e
exit $status
