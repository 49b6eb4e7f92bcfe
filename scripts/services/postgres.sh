#!/usr/bin/env bash
# A private PostgreSQL cluster for the shared-store tests and benchmarks: Debian's postgresql, on loopback only.
#   scripts/services/postgres.sh start   # writes $MAILPACE_SERVICES_DIR/postgres.env
#   scripts/services/postgres.sh stop
#
# - initdb makes a new cluster under $MAILPACE_SERVICES_DIR/postgres (or, when the postgres user
#   cannot reach that directory, under a temporary directory named in postgres/base): the machine's own
#   cluster (/var/lib/postgresql, /etc/postgresql, port 5432) is never read, written or started.
# - The server listens on 127.0.0.1:<free high port> only, and on a Unix socket in its own
#   directory (not /var/run/postgresql).
# - TCP logins need a password (scram-sha-256, so the tests can check a wrong one is refused);
#   the superuser is "mailpace" with a random password written to the env file.
# - PostgreSQL refuses to run as root: as root the cluster belongs to, and runs as, the
#   `postgres` system user (runuser); as any other user it runs as that user.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES_DIR="${MAILPACE_SERVICES_DIR:-$PWD/.state/services}"
DIR="$SERVICES_DIR/postgres"
ENV_FILE="$SERVICES_DIR/postgres.env"
DB=mailpace
SUPERUSER=mailpace
# Where the cluster lives: $DIR, or a temporary directory named in $DIR/base when the postgres user
# cannot reach $DIR (a checkout under /root, mode 700).
base() { if [ -f "$DIR/base" ]; then cat "$DIR/base"; else echo "$DIR"; fi; }

log() { echo "postgres.sh: $*" >&2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  return 1
}

# free_port
. scripts/services/common.bash

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  local bin b
  b=$(base)
  if [ -f "$b/data/postmaster.pid" ] && bin=$(bindir); then
    as_owner "$bin/pg_ctl" -D "$b/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  case "$b" in /tmp/mailpace-postgres.*) rm -rf "$b" ;; esac
  rm -f "$DIR/base" "$ENV_FILE"
}

start() {
  local bin
  bin=$(bindir) || { log "PostgreSQL is not installed (apt-get install postgresql)"; exit 1; }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    log "running as root needs the postgres system user (created by Debian's postgresql package)"
    exit 1
  fi
  stop
  rm -rf "$DIR"
  mkdir -p "$DIR"
  local b="$DIR"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$DIR" 2>/dev/null; then
    # initdb and the server run as postgres and must reach the data directory.
    b=$(mktemp -d /tmp/mailpace-postgres.XXXXXX)
    chmod 755 "$b"
    echo "$b" >"$DIR/base"
  fi
  DATA="$b/data"
  RUN="$b/run"
  LOG="$b/postgres.log"
  mkdir -p "$DATA" "$RUN"
  touch "$LOG"
  [ "$(id -u)" = 0 ] && chown postgres "$DATA" "$RUN" "$LOG"
  chmod 700 "$DATA"

  local port password pwfile
  port=$(free_port)
  password=$(node -e "console.log(require('crypto').randomBytes(18).toString('base64url'))")
  pwfile=$(mktemp)
  printf '%s\n' "$password" >"$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  if ! as_owner "$bin/initdb" -D "$DATA" -U "$SUPERUSER" --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=peer \
    --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"
    log "initdb failed:"
    tail -n 20 "$DIR/initdb.log" >&2
    exit 1
  fi
  rm -f "$pwfile"

  cat >>"$DATA/postgresql.conf" <<EOF
# Added by scripts/services/postgres.sh: a loopback-only test cluster. Not for real data.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$RUN'
max_connections = 200
logging_collector = off
EOF
  # Only TCP from 127.0.0.1 with a password; the Unix socket only for the cluster's owner.
  cat >"$DATA/pg_hba.conf" <<EOF
local all all peer
host  all all 127.0.0.1/32 scram-sha-256
EOF
  [ "$(id -u)" = 0 ] && chown postgres "$DATA/pg_hba.conf"
  if ! as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1; then
    log "PostgreSQL failed to start:"
    tail -n 20 "$LOG" >&2
    stop
    exit 1
  fi
  if ! PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $DB" >/dev/null; then
    log "could not create database $DB"
    stop
    exit 1
  fi

  cat >"$ENV_FILE" <<EOF
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=$port
POSTGRES_USER=$SUPERUSER
POSTGRES_PASSWORD=$password
POSTGRES_DB=$DB
POSTGRES_URL=postgres://$SUPERUSER:$password@127.0.0.1:$port/$DB
POSTGRES_BIN=$bin
POSTGRES_DATA=$DATA
POSTGRES_LOG=$LOG
EOF
  chmod 600 "$ENV_FILE"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (database $DB, user $SUPERUSER); env in $ENV_FILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
