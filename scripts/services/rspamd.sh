#!/usr/bin/env bash
# Debian's Rspamd on loopback, for the `score` end-to-end suite and bench/score.ts.
#   scripts/services/rspamd.sh start   # writes $MAILPACE_SERVICES_DIR/rspamd.env
#   scripts/services/rspamd.sh stop
#   scripts/services/rspamd.sh check   # fails if the log shows any attempt to reach beyond loopback
#   RSPAMD_TRACE=1 scripts/services/rspamd.sh start   # also records every connect() with strace, for `check`
#
# Nothing under /etc/rspamd is edited: the stock configuration is read from there ($CONFDIR), and
# everything we change lives in a private $LOCAL_CONFDIR under $MAILPACE_SERVICES_DIR/rspamd, whose
# local.d/override.d files Rspamd's own include chain picks up (see /etc/rspamd/modules.d/*.conf).
#
# No request may leave the machine:
#   - Rspamd's resolver is pointed at a loopback DNS fixture this script starts (test/helpers/dns-server.ts),
#     so SPF/DKIM/DMARC/HFILTER lookups are answered by fixture zones (NXDOMAIN for everything else);
#   - every module that talks to an outside service is disabled (fuzzy_check, rbl/surbl, phishing feeds,
#     multimap's remote maps, asn, dcc, razor/pyzor via external_services, antivirus, rspamd_update,
#     url_redirector and the other Redis users), and the modules we keep read local maps only.
# Milter: a proxy worker in milter mode (RSPAMD_MILTER_PORT) scans through the normal worker, for Postfix's
# seed route (scripts/services/postfix.sh: placement's e2e mail goes Postfix → Rspamd milter → Dovecot LMTP).
# milter_headers adds what a receiver's filter writes (Authentication-Results, X-Spamd-Result, X-Spam-Status),
# for loopback clients too; SPF and DMARC run for them as well (check_local); seed2 has a strict
# threshold (settings), so the same message is flagged for seed2 only; the proxy's spam header is
# X-Spam-Flag, the one Dovecot's Sieve script for the seed users files into Junk.
# As root (CI) the workers keep root privileges (--insecure), so the private dir may be anywhere; as another
# user it runs as that user. The first start takes ~30 s (hyperscan compiles; cached in the private dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
SERVICES_DIR="${MAILPACE_SERVICES_DIR:-$ROOT/.state/services}"
DIR="$SERVICES_DIR/rspamd"
ENV_FILE="$SERVICES_DIR/rspamd.env"
CONTROLLER_PASSWORD="mailpace-e2e"

log() { echo "rspamd.sh: $*" >&2; }

. scripts/services/common.bash

stop() {
  if [ -f "$DIR/run/rspamd.pid" ]; then
    local pid
    pid=$(cat "$DIR/run/rspamd.pid")
    stop_pid "$pid" hard
    rm -f "$DIR/run/rspamd.pid"
  fi
  if [ -f "$DIR/dns.pid" ]; then
    local pid
    pid=$(cat "$DIR/dns.pid")
    kill "$pid" 2>/dev/null || true
    rm -f "$DIR/dns.pid"
  fi
  rm -f "$ENV_FILE"
}

# Every line of the log that shows Rspamd reaching for something that is not on loopback.
outside_attempts() {
  local logf="$DIR/log/rspamd.log"
  [ -f "$logf" ] || return 0
  # Map loads and HTTP/fuzzy/DNS upstreams name their target; anything but 127.0.0.1/localhost/file is a leak.
  grep -Ei "https?://|fuzzy[0-9]?\.rspamd|maps\.rspamd\.com|upstream .* (is )?(failed|marked)|cannot (connect|resolve)" "$logf" \
    | grep -Eiv "https?://(127\.0\.0\.1|localhost|\[::1\])" || true
}

write_config() {
  local port="$1" cport="$2" dnsport="$3" mport="$4"
  rm -rf "$DIR/conf"
  mkdir -p "$DIR/conf/local.d" "$DIR/conf/override.d" "$DIR/db" "$DIR/run" "$DIR/log"

  # Top level: the stock common.conf (metrics, actions, groups, composites, modules), our workers and logging.
  cat >"$DIR/conf/rspamd.conf" <<EOF
.include "\$CONFDIR/common.conf"
options {
  pidfile = "\$RUNDIR/rspamd.pid";
  .include "\$CONFDIR/options.inc"
  .include(try=true; priority=10) "\$LOCAL_CONFDIR/override.d/options.inc"
}
logging {
  type = "file";
  filename = "\$LOGDIR/rspamd.log";
  .include "\$CONFDIR/logging.inc"
  level = "info";
}
worker "normal" {
  bind_socket = "127.0.0.1:$port";
  .include "\$CONFDIR/worker-normal.inc"
  count = 2;
}
# Milter mode (https://rspamd.com/doc/workers/rspamd_proxy.html): Postfix talks milter to this worker,
# which has the normal worker scan and answers with the header changes and the action.
worker "rspamd_proxy" {
  bind_socket = "127.0.0.1:$mport";
  milter = yes;
  timeout = 120s;
  upstream "local" {
    default = yes;
    hosts = "127.0.0.1:$port";
  }
  count = 1;
  max_retries = 5;
  discard_on_reject = false;
  quarantine_on_reject = false;
  spam_header = "X-Spam-Flag";
  reject_message = "Spam message rejected";
}
worker "controller" {
  bind_socket = "127.0.0.1:$cport";
  count = 1;
  password = "$CONTROLLER_PASSWORD";
  static_dir = "\${WWWDIR}";
}
EOF

  # options: the loopback DNS fixture as the only nameserver; no filters list with fuzzy_check in it;
  # no local_addrs overlap with the TEST-NET addresses our tests use.
  cat >"$DIR/conf/override.d/options.inc" <<EOF
filters = "chartable,dkim,regexp";
dns {
  nameserver = ["127.0.0.1:$dnsport"];
  # generous: the fixture is local but CI machines are busy, and a lost answer would change symbols
  timeout = 3s;
  sockets = 4;
  retransmits = 2;
}
task_timeout = 30s;
tempdir = "$DIR/run";
control_socket = "\$DBDIR/rspamd.sock mode=0600";
EOF

  # What a receiving filter stamps (https://rspamd.com/doc/modules/milter_headers.html): extended headers
  # (X-Spamd-Result, X-Rspamd-Server, X-Rspamd-Queue-Id), Authentication-Results and X-Spam-Status,
  # also for loopback and authenticated clients (skip_local/skip_authenticated default to true).
  cat >"$DIR/conf/local.d/milter_headers.conf" <<'EOF'
extended_spam_headers = true;
use = ["authentication-results", "x-spam-status"];
skip_local = false;
skip_authenticated = false;
EOF
  # One seed user has a strict filter, as receivers let users set: for mail to seed2@seeds.mailpace.test
  # any score takes the "add header" action (https://rspamd.com/doc/configuration/settings.html: actions
  # in apply), so the same message is flagged for seed2 and not for seed1 (placement's e2e tests).
  cat >"$DIR/conf/local.d/settings.conf" <<'EOF'
strict_seed {
  priority = high;
  rcpt = "seed2@seeds.mailpace.test";
  apply {
    actions {
      "add header" = -100.0;
    }
  }
}
EOF
  # SPF, DKIM and DMARC skip local clients by default; every e2e client is 127.0.0.1.
  printf 'check_local = true;\ncheck_authed = true;\n' >"$DIR/conf/local.d/spf.conf"
  printf 'check_local = true;\ncheck_authed = true;\n' >"$DIR/conf/local.d/dmarc.conf"
  printf 'check_local = true;\ncheck_authed = true;\n' >"$DIR/conf/local.d/dkim.conf"

  # Modules that call outside services: disabled outright.
  local m
  for m in fuzzy_check rbl surbl phishing multimap asn dcc external_services antivirus rspamd_update \
    url_redirector replies neural ratelimit greylist history_redis mx_check reputation spamtrap bimi \
    p0f clickhouse elastic metadata_exporter metric_exporter aws_s3 external_relay dkim_signing \
    spamassassin; do
    printf 'enabled = false;\n' >"$DIR/conf/override.d/$m.conf"
  done
  # Bayes needs Redis; without one, keep it off explicitly instead of letting it warn per task.
  printf 'backend = "redis"; servers = ""; enabled = false;\n' >"$DIR/conf/override.d/classifier-bayes.conf"

  # Modules we keep, with their remote maps replaced by the copies Debian ships under $CONFDIR/maps.d.
  cat >"$DIR/conf/override.d/mime_types.conf" <<'EOF'
file = ["${CONFDIR}/maps.d/mime_types.inc"];
extension_map = {
  html = "text/html";
  txt = ["message/disposition-notification", "text/plain", "text/rfc822-headers"];
  pdf = ["application/octet-stream", "application/pdf", "application/x-pdf"];
}
EOF
  cat >"$DIR/conf/override.d/mid.conf" <<'EOF'
source = { url = ["${CONFDIR}/maps.d/mid.inc"]; }
EOF
  cat >"$DIR/conf/override.d/whitelist.conf" <<'EOF'
rules {
  "WHITELIST_SPF_DKIM" = {
    valid_spf = true;
    valid_dkim = true;
    domains = ["${CONFDIR}/maps.d/spf_dkim_whitelist.inc"];
    score = -3.0;
    inverse_symbol = "BLACKLIST_SPF_DKIM";
  }
  "WHITELIST_DMARC" = {
    valid_dmarc = true;
    domains = ["${CONFDIR}/maps.d/dmarc_whitelist.inc"];
    score = -7.0;
    inverse_symbol = "BLACKLIST_DMARC";
  }
}
EOF
}

write_dns_fixture() {
  local dkim_pub="$1"
  # Zones for the e2e messages' domains (RFC 2606 names: nothing real is ever asked); NXDOMAIN otherwise.
  cat >"$DIR/dns.mjs" <<EOF
import { writeFileSync, appendFileSync } from 'node:fs';
import { startDnsServer } from '$ROOT/test/helpers/dns-server.ts';
const zone = {
  'example.com': { A: ['192.0.2.1'], MX: [{ priority: 10, exchange: 'mx.example.com' }], TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
  '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@example.com'] },
  'mx.example.com': { A: ['192.0.2.25'] },
  'mail.example.com': { A: ['192.0.2.10'] },
  '10.2.0.192.in-addr.arpa': { PTR: ['mail.example.com'] },
  'example.net': { A: ['198.51.100.1'], MX: [{ priority: 10, exchange: 'mx.example.net' }], TXT: ['v=spf1 -all'] },
  'mx.example.net': { A: ['198.51.100.25'] },
  // placement's e2e sender: mail from 127.0.0.1 passes SPF, DMARC only monitors
  'example.org': { A: ['192.0.2.2'], TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  '_dmarc.example.org': { TXT: ['v=DMARC1; p=none'] },
  // the key made at start (RSPAMD_DKIM_KEY): a message signed d=example.org s=s1 verifies
  's1._domainkey.example.org': { TXT: ['v=DKIM1; k=rsa; p=$dkim_pub'] },
};
const srv = await startDnsServer(zone);
const origPush = srv.log.push.bind(srv.log);
srv.log.push = (...entries) => {
  for (const e of entries) appendFileSync('$DIR/dns-queries.log', \`\${e.type} \${e.name} \${e.transport}\n\`);
  return origPush(...entries);
};
writeFileSync('$DIR/dns.port', String(srv.port));
process.on('SIGTERM', () => srv.stop().then(() => process.exit(0)));
EOF
}

start() {
  command -v rspamd >/dev/null || { log "rspamd is not installed (Debian package rspamd)"; exit 1; }
  stop
  mkdir -p "$DIR"
  rm -f "$DIR/dns.port" "$DIR/dns-queries.log" "$DIR/log/rspamd.log"

  # A DKIM key for example.org (selector s1), made here and published by the DNS fixture: tests sign
  # with it (RSPAMD_DKIM_KEY) and Rspamd verifies the signature.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/dkim.key" 2>/dev/null
  chmod 644 "$DIR/dkim.key"
  local dkim_pub
  dkim_pub=$(openssl pkey -in "$DIR/dkim.key" -pubout -outform DER 2>/dev/null | base64 -w0)
  write_dns_fixture "$dkim_pub"
  nohup node --import tsx "$DIR/dns.mjs" >"$DIR/dns.out" 2>&1 &
  echo $! >"$DIR/dns.pid"
  for _ in $(seq 1 100); do [ -s "$DIR/dns.port" ] && break; sleep 0.1; done
  [ -s "$DIR/dns.port" ] || { log "the DNS fixture did not start:"; cat "$DIR/dns.out" >&2; stop; exit 1; }
  local dnsport port cport mport
  dnsport=$(cat "$DIR/dns.port")
  port=$(free_port)
  cport=$(free_port)
  while [ "$cport" = "$port" ]; do cport=$(free_port); done
  mport=$(free_port)
  while [ "$mport" = "$port" ] || [ "$mport" = "$cport" ]; do mport=$(free_port); done

  write_config "$port" "$cport" "$dnsport" "$mport"
  # --var=KEY=VALUE in one word: rspamadm does not take the two-word form.
  local vars=("--var=CONFDIR=/etc/rspamd" "--var=LOCAL_CONFDIR=$DIR/conf" "--var=DBDIR=$DIR/db"
    "--var=RUNDIR=$DIR/run" "--var=LOGDIR=$DIR/log")
  if ! rspamadm "${vars[@]}" configtest -c "$DIR/conf/rspamd.conf" >"$DIR/configtest.out" 2>&1; then
    log "configuration test failed:"; cat "$DIR/configtest.out" >&2; stop; exit 1
  fi
  # Daemonises; the pid file is written to \$RUNDIR.
  # RSPAMD_TRACE=1: run it under strace (detached, following the workers) so `check` can prove that every
  # connect() the daemon makes goes to 127.0.0.1 (or a local unix socket).
  local wrapper=()
  rm -f "$DIR/strace.out"
  if [ -n "${RSPAMD_TRACE:-}" ] && command -v strace >/dev/null; then
    wrapper=(strace -D -f -e trace=connect -o "$DIR/strace.out")
  fi
  # As root (CI): keep root in the workers (--insecure) so they can write the private dir wherever the
  # checkout is; as another user: run as that user.
  local priv=()
  if [ "$(id -u)" = 0 ]; then priv=(-u root -g root --insecure); fi
  "${wrapper[@]}" rspamd -c "$DIR/conf/rspamd.conf" "${vars[@]}" "${priv[@]}" >"$DIR/rspamd.out" 2>&1

  local up=""
  for _ in $(seq 1 300); do
    if node -e "fetch('http://127.0.0.1:$port/ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" 2>/dev/null; then
      up=1
      break
    fi
    sleep 0.1
  done
  if [ -z "$up" ]; then
    log "rspamd did not answer /ping on 127.0.0.1:$port; its log:"
    tail -n 40 "$DIR/log/rspamd.log" >&2 2>/dev/null || cat "$DIR/rspamd.out" >&2
    stop; exit 1
  fi

  # the milter worker is up when it accepts connections
  local mup=""
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null; then mup=1; break; fi
    sleep 0.1
  done
  if [ -z "$mup" ]; then
    log "the milter worker did not listen on 127.0.0.1:$mport; its log:"
    tail -n 40 "$DIR/log/rspamd.log" >&2 2>/dev/null || true
    stop; exit 1
  fi

  cat >"$ENV_FILE" <<EOF
RSPAMD_URL=http://127.0.0.1:$port
RSPAMD_PORT=$port
RSPAMD_MILTER_PORT=$mport
RSPAMD_DKIM_KEY=$DIR/dkim.key
RSPAMD_DKIM_DOMAIN=example.org
RSPAMD_DKIM_SELECTOR=s1
RSPAMD_CONTROLLER_URL=http://127.0.0.1:$cport
RSPAMD_CONTROLLER_PASSWORD=$CONTROLLER_PASSWORD
RSPAMD_DNS=127.0.0.1:$dnsport
RSPAMD_LOG=$DIR/log/rspamd.log
RSPAMD_DNS_LOG=$DIR/dns-queries.log
EOF
  log "rspamd on 127.0.0.1:$port (controller $cport, milter $mport), DNS fixture 127.0.0.1:$dnsport"
}

check() {
  local leaks
  leaks=$(outside_attempts)
  if [ -n "$leaks" ]; then
    log "rspamd tried to reach beyond loopback:"
    echo "$leaks" >&2
    exit 1
  fi
  if [ -f "$DIR/strace.out" ]; then
    leaks=$(grep -E "connect\(" "$DIR/strace.out" | grep -Ev 'AF_UNIX|inet_addr\("127\.|inet_pton\(AF_INET6, "::1"' || true)
    if [ -n "$leaks" ]; then
      log "rspamd connect()ed beyond loopback:"
      echo "$leaks" >&2
      exit 1
    fi
    log "every connect() in $DIR/strace.out went to loopback or a unix socket"
  fi
  log "no outside request in $DIR/log/rspamd.log"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  check) check ;;
  *) echo "usage: $0 start|stop|check" >&2; exit 2 ;;
esac
