#!/usr/bin/env bash
# rbldnsd (Debian package) as a real DNSBL server for the e2e suite and bench/blocklist.ts.
#   scripts/services/rbldnsd.sh start   # 127.0.0.1 on a free high UDP port; writes $MAILPACE_SERVICES_DIR/rbldnsd.env
#   scripts/services/rbldnsd.sh stop
# It serves test zones named like the real lists (zen.spamhaus.org, dbl.spamhaus.org, multi.uribl.com, …)
# from test/fixtures/rbldnsd (see the README there). Loopback only. rbldnsd answers UDP only (no TCP).
#
# rbldnsd refuses to run as root: as root it is started with -u rbldns (the package's user; nobody if
# it is missing) and chrooted (-r) into a copy of the zone files, so it can read them whatever the
# permissions of the checkout's parent directories. As another user it runs as that user, no chroot.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${MAILPACE_SERVICES_DIR:-$PWD/.state/services}"
RUN="$DIR/rbldnsd"
ENV_FILE="$DIR/rbldnsd.env"
PID_FILE="$RUN/rbldnsd.pid"

# zone:dataset-type:file — several datasets make one zone, as Spamhaus builds ZEN from SBL+XBL+PBL.
ZONES=(
  zen.spamhaus.org:ip4set:zen-sbl
  zen.spamhaus.org:ip4set:zen-xbl
  zen.spamhaus.org:ip4set:zen-pbl
  zen.spamhaus.org:ip4set:zen-errors
  zen.spamhaus.org:ip6trie:zen-v6
  dbl.spamhaus.org:dnset:dbl
  b.barracudacentral.org:ip4set:barracuda
  bl.spamcop.net:ip4set:spamcop
  dnsbl-1.uceprotect.net:ip4set:uceprotect-1
  psbl.surriel.com:ip4set:psbl
  bl.mailspike.net:ip4set:mailspike-bl
  multi.surbl.org:dnset:surbl
  multi.uribl.com:dnset:uribl
  bl.example.test:ip4set:custom
)

. scripts/services/common.bash

stop() {
  if [ -f "$PID_FILE" ]; then
    pid=$(cat "$PID_FILE")
    stop_pid "$pid"
    rm -f "$PID_FILE"
  fi
  rm -f "$ENV_FILE"
}

free_udp_port() {
  # The kernel's choice for port 0 is a free ephemeral (high) port; rbldnsd binds it right after.
  node -e "const s=require('node:dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

start() {
  if ! command -v rbldnsd >/dev/null 2>&1; then
    echo "rbldnsd: not installed (apt-get install rbldnsd)" >&2
    exit 1
  fi
  stop
  mkdir -p "$RUN/zones"
  rm -f "$RUN/zones/"*
  cp test/fixtures/rbldnsd/* "$RUN/zones/"
  rm -f "$RUN/zones/README.md"
  chmod 755 "$RUN" "$RUN/zones"
  chmod 644 "$RUN/zones/"*

  local opts=(-p "$PID_FILE" -t 60 -c 0 -a -4)
  if [ "$(id -u)" = 0 ]; then
    local user=rbldns
    id -u "$user" >/dev/null 2>&1 || user=nobody
    opts+=(-u "$user" -r "$RUN/zones" -w /)
  else
    opts+=(-w "$RUN/zones")
  fi

  local port="" ok=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$(free_udp_port)
    # Without -n rbldnsd loads the zones, binds, then forks: a zero exit means it is answering.
    if rbldnsd "${opts[@]}" -b "127.0.0.1/$port" "${ZONES[@]}" >"$RUN/rbldnsd.log" 2>&1; then
      ok=1
      break
    fi
  done
  if [ -z "$ok" ]; then
    echo "rbldnsd: failed to start:" >&2
    cat "$RUN/rbldnsd.log" >&2
    exit 1
  fi
  for _ in $(seq 1 50); do [ -s "$PID_FILE" ] && break; sleep 0.1; done
  local zones
  zones=$(printf '%s\n' "${ZONES[@]}" | cut -d: -f1 | sort -u | paste -sd, -)
  {
    echo "RBLDNSD_HOST=127.0.0.1"
    echo "RBLDNSD_PORT=$port"
    echo "RBLDNSD_ADDRESS=127.0.0.1:$port"
    echo "RBLDNSD_PID=$(cat "$PID_FILE")"
    echo "RBLDNSD_ZONES=$zones"
    echo "RBLDNSD_DIR=$RUN"
  } >"$ENV_FILE"
  echo "rbldnsd: listening on 127.0.0.1:$port (UDP), zones: $zones"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
