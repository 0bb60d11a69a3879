#!/usr/bin/env bash
# `make services`: the PostgreSQL server the tests use answers at TEST_POSTGRES_URL.
# For a URL on this machine (127.0.0.1, localhost, ::1) it sets up Debian's server as the tests
# expect: installed with apt-get when missing, the cluster on the URL's port started (whatever
# version it is, several may be installed), the URL's role and database created, and the role let
# in from the loopback without a password (trust). A URL elsewhere is only checked.
set -euo pipefail
cd /

url=${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
url=${url/postgresql+asyncpg:/postgresql:}
read -r user host port db < <(python3 -c '
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.username or "postgres", u.hostname or "127.0.0.1", u.port or 5432, u.path[1:] or "postgres")
' "$url")

fail() {
  echo "$*" >&2
  exit 1
}

answers() {
  command -v psql >/dev/null && PGCONNECT_TIMEOUT=5 psql -w -qAtX "$url" -c 'select 1' >/dev/null 2>&1
}

if answers; then
  echo "PostgreSQL answers at $url"
  exit 0
fi
case $host in
  127.0.0.1 | localhost | ::1) ;;
  *) fail "PostgreSQL does not answer at $url (TEST_POSTGRES_URL); the tests need it." ;;
esac

# Root runs the steps itself; another user through sudo when sudo can ask (or needs no password).
as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    as_root=(sudo)
  else
    fail "PostgreSQL does not answer at $url and setting it up needs root (or sudo): run \`make services\` as root, or set TEST_POSTGRES_URL to a server the tests may use."
  fi
fi
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! command -v pg_lsclusters >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  command -v apt-get >/dev/null \
    || fail "PostgreSQL is not installed and this machine has no apt-get to install it: install a server on 127.0.0.1:$port with a role $user and a database $db that trust the loopback, or set TEST_POSTGRES_URL to a server the tests may use."
  echo "PostgreSQL is not installed; installing Debian's server for the tests"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# The cluster on the URL's port, of whichever installed version (`pg_lsclusters`: version, name,
# port, status, ...). With none at all, a new one of the newest version.
cluster=$(pg_lsclusters -h | awk -v port="$port" '$3 == port { print $1, $2; exit }')
if [ -z "$cluster" ]; then
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
    fail "A PostgreSQL server that is none of this machine's Debian clusters answers on port $port but refuses $url: give that role and database trust from the loopback, or set TEST_POSTGRES_URL."
  fi
  if [ -n "$(pg_lsclusters -h)" ]; then
    fail "No PostgreSQL cluster here uses port $port (pg_lsclusters: $(pg_lsclusters -h | awk '{ printf "%s/%s on %s; ", $1, $2, $3 }')set TEST_POSTGRES_URL to one of those ports)."
  fi
  newest=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  echo "creating a PostgreSQL $newest cluster (main) on port $port"
  "${as_root[@]}" pg_createcluster -p "$port" "$newest" main >/dev/null
  cluster="$newest main"
fi
read -r version name <<<"$cluster"

if ! pg_lsclusters -h "$version" "$name" | awk '{ exit $4 !~ /^online/ }'; then
  echo "PostgreSQL $version/$name (port $port) is not running; starting it"
  "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
fi
for _ in $(seq 30); do
  pg_isready -q -h /var/run/postgresql -p "$port" && break
  sleep 1
done

sql() { as_postgres psql -p "$port" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
if [ "$(sql "select 1 from pg_roles where rolname = '$user'")" != 1 ]; then
  echo "creating the role $user (superuser: the tests create and drop databases)"
  sql "create role \"$user\" login superuser"
fi
if [ "$(sql "select 1 from pg_database where datname = '$db'")" != 1 ]; then
  echo "creating the database $db"
  sql "create database \"$db\" owner \"$user\""
fi

if ! answers; then
  hba=$(sql 'show hba_file')
  echo "letting the role $user in from 127.0.0.1 and ::1 without a password (trust, first lines of $hba)"
  new=$(mktemp)
  { printf '# salesagent tests (make services): %s from the loopback without a password\n' "$user"
    printf 'host all %s 127.0.0.1/32 trust\nhost all %s ::1/128 trust\n' "$user" "$user"
    "${as_root[@]}" cat "$hba"; } >"$new"
  "${as_root[@]}" tee "$hba" <"$new" >/dev/null
  rm -f "$new"
  sql 'select pg_reload_conf()' >/dev/null
fi
for _ in $(seq 10); do
  answers && { echo "PostgreSQL answers at $url"; exit 0; }
  sleep 1
done
fail "PostgreSQL $version/$name runs on port $port but still refuses $url: see /var/log/postgresql/postgresql-$version-$name.log."
