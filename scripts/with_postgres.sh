#!/usr/bin/env bash
# Run a command with PINGYI_TEST_PG_URL pointing at PostgreSQL: DATABASE_URL when given, otherwise a
# throwaway cluster from Debian's postgresql package in a temporary directory, removed afterwards.
set -euo pipefail
if [ -n "${DATABASE_URL:-}" ]; then
  PINGYI_TEST_PG_URL="$DATABASE_URL" exec "$@"
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "with_postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/pingyi-pg.XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then  # initdb refuses root: the cluster runs as the postgres user
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
export PINGYI_TEST_PG_URL="postgresql+psycopg://postgres@/postgres?host=$dir"
"$@"
