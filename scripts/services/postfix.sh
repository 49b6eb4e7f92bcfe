#!/usr/bin/env bash
# A real recipient MX for the probe and send e2e tests: Debian's Postfix with postgrey greylisting, on loopback only.
#   scripts/services/postfix.sh start   # writes $MAILPACE_SERVICES_DIR/postfix.env
#   scripts/services/postfix.sh stop
#
# - Postfix runs from a private config + queue directory under $MAILPACE_SERVICES_DIR/postfix
#   (postfix -c <dir>): the system's /etc/postfix and /var/spool/postfix are never read or written.
# - smtpd listens on 127.0.0.1:<free high port> only, offers STARTTLS with a test certificate made
#   here (a throw-away CA + a leaf for mx.mailpace.test), and accepts TLS 1.0 to 1.3 so the TLS version
#   matrix has something to find.
# - It accepts RCPT only for @mailpace.test, after postgrey (check_policy_service) has greylisted the
#   triplet for POSTGREY_DELAY seconds (default 5). No relaying: reject_unauth_destination; no
#   delivery: every transport is error/discard, and the probe never sends DATA anyway.
# - One exception, for the send e2e tests: @deliver.mailpace.test (a virtual mailbox domain, greylisted
#   the same way) is delivered by virtual(8) into one Maildir, POSTFIX_MAILDIR. It has its own smtpd
#   listener (POSTFIX_DELIVER_PORT) whose cleanup logs as postfix-deliver/cleanup, so the probe tests
#   can still read the main listener's "no message was ever queued" from POSTFIX_LOG.
# - One more, for the monitor e2e tests: a relaying listener (POSTFIX_RELAY_PORT, logging as
#   postfix-relay) that relays for 127.0.0.1 only, without greylisting, and smtp(8) that sends
#   @*.relay.test out to smtp-sink(1) processes on loopback: ok.relay.test accepts, defer.relay.test
#   answers RCPT with 4xx, bounce.relay.test with 5xx, down.relay.test is a closed port. Short queue
#   lifetimes make a deferred message expire within seconds (POSTFIX_QUEUE_LIFETIME).
# - One more, for placement's e2e tests: a seed listener (POSTFIX_SEED_PORT, logging as postfix-seed)
#   that accepts mail for the seed users at @seeds.mailpace.test (the Dovecot users; any other local part
#   is refused at RCPT, relay_recipient_maps), has Rspamd scan it as a milter (its proxy worker,
#   RSPAMD_MILTER_PORT: Authentication-Results, X-Spamd-Result, X-Spam-Status, X-Spam-Flag on spam) and
#   delivers it with lmtp(8) to Dovecot's LMTP port, where Sieve files flagged mail into Junk. It needs
#   dovecot.env and rspamd.env: scripts/services.sh starts those two first; started on its own, this
#   script waits up to POSTFIX_SEED_WAIT seconds (default 180) for them, and without them leaves the
#   seed route out (no POSTFIX_SEED_PORT in postfix.env) rather than fail.
# Needs root (Postfix's master runs as root and drops to the postfix user), as in CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES_DIR="${MAILPACE_SERVICES_DIR:-$PWD/.state/services}"
DIR="$SERVICES_DIR/postfix"
CONF="$DIR/conf"
QUEUE="$DIR/queue"
DATA="$DIR/data"
GREY="$DIR/postgrey"
ENV_FILE="$SERVICES_DIR/postfix.env"
DELAY="${POSTGREY_DELAY:-5}"
DOMAIN=mailpace.test
MXNAME=mx.mailpace.test
DELIVER_DOMAIN=deliver.mailpace.test
MAILBOX="$DIR/mailbox"
SINK_PIDS="$DIR/smtp-sink.pids"
RELAY_SUFFIX=relay.test
QUEUE_LIFETIME=20
SEED_DOMAIN=seeds.$DOMAIN
SEED_WAIT="${POSTFIX_SEED_WAIT:-180}"

log() { echo "postfix.sh: $*" >&2; }

. scripts/services/common.bash

stop_sinks() {
  [ -f "$SINK_PIDS" ] || return 0
  local spid
  while read -r spid; do
    [ -n "$spid" ] || continue
    if grep -q smtp-sink "/proc/$spid/cmdline" 2>/dev/null; then stop_pid "$spid"; fi
  done <"$SINK_PIDS"
  rm -f "$SINK_PIDS"
}

# start_sink port options...: smtp-sink(1) on 127.0.0.1:port, as the postfix user, detached; its pid in $SINK_PIDS.
start_sink() {
  local port="$1"
  shift
  setsid smtp-sink -u postfix "$@" "127.0.0.1:$port" 16 >>"$DIR/smtp-sink.log" 2>&1 </dev/null &
  echo "$!" >>"$SINK_PIDS"
}

# env_value file key: the value of key= in an env file (empty when either is missing).
env_value() {
  [ -f "$1" ] || return 0
  sed -n "s/^$2=//p" "$1" | head -n 1
}

# Finds Dovecot's LMTP port, its users and Rspamd's milter port in their env files, waiting up to
# $SEED_WAIT seconds for both files to exist and both ports to answer (a file left by an earlier run
# names a port nobody listens on any more: it is read again until the service has rewritten it).
# Sets seed_lmtp_port, seed_users, seed_milter_port; returns 1 when they do not appear in time.
find_seed_route() {
  local end=$((SECONDS + SEED_WAIT)) lmtp milter
  while :; do
    lmtp=$(env_value "$SERVICES_DIR/dovecot.env" DOVECOT_LMTP_PORT)
    milter=$(env_value "$SERVICES_DIR/rspamd.env" RSPAMD_MILTER_PORT)
    if [ -n "$lmtp" ] && [ -n "$milter" ] && wait_port 127.0.0.1 "$lmtp" 1 && wait_port 127.0.0.1 "$milter" 1; then
      seed_lmtp_port=$lmtp
      seed_milter_port=$milter
      seed_users=$(env_value "$SERVICES_DIR/dovecot.env" DOVECOT_USERS)
      return 0
    fi
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 1
  done
}

stop() {
  stop_sinks
  if [ -d "$CONF" ] && [ -f "$QUEUE/pid/master.pid" ]; then
    postfix -c "$CONF" stop >/dev/null 2>&1 || true
    # postfix stop returns before the master has gone; wait for it so a restart can bind the port
    local pid
    pid=$(tr -dc '0-9' <"$QUEUE/pid/master.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then wait_exit "$pid"; fi
  fi
  if [ -f "$GREY/postgrey.pid" ]; then
    local gpid
    gpid=$(cat "$GREY/postgrey.pid" 2>/dev/null || true)
    stop_pid "$gpid"
    rm -f "$GREY/postgrey.pid"
  fi
  rm -f "$ENV_FILE"
}

start() {
  command -v postfix >/dev/null || { log "postfix is not installed (apt-get install postfix)"; exit 1; }
  command -v postgrey >/dev/null || { log "postgrey is not installed (apt-get install postgrey)"; exit 1; }
  command -v smtp-sink >/dev/null || { log "smtp-sink is not installed (apt-get install postfix)"; exit 1; }
  [ "$(id -u)" = 0 ] || { log "must run as root (Postfix's master needs it)"; exit 1; }
  stop
  rm -rf "$DIR"
  mkdir -p "$CONF" "$QUEUE" "$DATA" "$GREY"
  # The queue lives under a path the postfix user must be able to traverse.
  chmod 755 "$DIR"
  chown postfix "$DATA"
  chown postgrey "$GREY"
  # virtual(8) delivers as the postfix user (uid >= virtual_minimum_uid) into $MAILBOX/maildir/
  mkdir -p "$MAILBOX"
  chown postfix:postfix "$MAILBOX"
  make_test_certs "$DIR/tls" "mailpace test CA" "$MXNAME" mx

  local smtp_port grey_port deliver_port
  smtp_port=$(free_port)
  grey_port=$(free_port)
  while [ "$grey_port" = "$smtp_port" ]; do grey_port=$(free_port); done
  deliver_port=$(free_port)
  while [ "$deliver_port" = "$smtp_port" ] || [ "$deliver_port" = "$grey_port" ]; do deliver_port=$(free_port); done
  # The relaying listener, the three smtp-sinks and one port nothing listens on, all distinct.
  local relay_port ok_port defer_port bounce_port down_port used="$smtp_port $grey_port $deliver_port" p
  for v in relay_port ok_port defer_port bounce_port down_port; do
    p=$(free_port)
    while [[ " $used " == *" $p "* ]]; do p=$(free_port); done
    used="$used $p"
    printf -v "$v" '%s' "$p"
  done

  # The seed listener's port, and whether its route (Dovecot LMTP, Rspamd milter) is there.
  local seed_port="" seed_lmtp_port="" seed_milter_port="" seed_users=""
  if find_seed_route; then
    seed_port=$(free_port)
    while [[ " $used " == *" $seed_port "* ]]; do seed_port=$(free_port); done
    used="$used $seed_port"
  else
    log "no Dovecot LMTP and Rspamd milter after ${SEED_WAIT}s (dovecot.env, rspamd.env): the seed route for @$SEED_DOMAIN is left out"
  fi

  # postfix-script validates the installation against these files from the meta directory.
  cp /etc/postfix/postfix-files "$CONF/"
  [ -d /etc/postfix/postfix-files.d ] && cp -r /etc/postfix/postfix-files.d "$CONF/"
  [ -f /etc/postfix/dynamicmaps.cf ] && cp /etc/postfix/dynamicmaps.cf "$CONF/"
  [ -d /etc/postfix/dynamicmaps.cf.d ] && cp -r /etc/postfix/dynamicmaps.cf.d "$CONF/"

  cat >"$CONF/main.cf" <<EOF
# Generated by scripts/services/postfix.sh: a loopback-only test MX. Not for real mail.
compatibility_level = 3.6
queue_directory = $QUEUE
data_directory = $DATA
meta_directory = $CONF
mail_owner = postfix
setgid_group = postdrop
myhostname = $MXNAME
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination = $DOMAIN
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
maillog_file_prefixes = $DIR
maillog_file = $DIR/postfix.log
# No DNS and no reverse lookups: the tests never leave the machine.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
disable_dns_lookups = yes
# Any local part at @$DOMAIN is a valid recipient; there are no aliases.
local_recipient_maps =
alias_maps =
alias_database =
# No relaying, no delivery anywhere.
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service inet:127.0.0.1:$grey_port
default_transport = error:test MX does not deliver
relay_transport = error:test MX does not deliver
local_transport = discard:test MX does not deliver
# ... except @$DELIVER_DOMAIN: every local part into one Maildir (a trailing / means Maildir), owned by postfix.
virtual_mailbox_domains = $DELIVER_DOMAIN
virtual_mailbox_base = $MAILBOX
virtual_mailbox_maps = static:maildir/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
virtual_transport = virtual
smtpd_banner = \$myhostname ESMTP mailpace test MX
biff = no
# STARTTLS with the test certificate; TLS 1.0 and up with the stock (medium) cipher grade, so the matrix sees them.
smtpd_tls_security_level = may
smtpd_tls_chain_files = $DIR/tls/mx.key, $DIR/tls/mx.pem
smtpd_tls_protocols = >=TLSv1
smtpd_tls_mandatory_protocols = >=TLSv1
smtpd_tls_loglevel = 0
# Outbound, for the relaying listener only (its own restrictions are set in master.cf): *.$RELAY_SUFFIX
# goes by smtp(8) to loopback smtp-sinks. transport(5): "smtp:[address]:port" skips MX lookups; texthash
# (postconf(5) "texthash") is read as is, no postmap.
transport_maps = texthash:$CONF/transport
smtp_tls_security_level = none
# A deferred message expires within seconds (postconf(5) maximal_queue_lifetime, bounce_queue_lifetime:
# how long a message or a bounce stays queued before it is returned; minimal_backoff_time,
# maximal_backoff_time: the time between attempts; queue_run_delay: between deferred queue scans,
# at most minimal_backoff_time). Mail of the other listeners is never deferred: it is delivered,
# discarded or refused at once.
maximal_queue_lifetime = ${QUEUE_LIFETIME}s
bounce_queue_lifetime = ${QUEUE_LIFETIME}s
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
EOF
  if [ -n "$seed_port" ]; then
    cat >>"$CONF/main.cf" <<EOF
# The seed route: @$SEED_DOMAIN is relayed (to Dovecot's LMTP, by transport_maps) for the listed users only:
# relay_recipient_maps makes smtpd refuse any other local part with 550 5.1.1 at RCPT (postconf(5)).
relay_domains = $SEED_DOMAIN
relay_recipient_maps = texthash:$CONF/seed_recipients
EOF
    local u
    : >"$CONF/seed_recipients"
    for u in ${seed_users//,/ }; do echo "$u@$SEED_DOMAIN OK" >>"$CONF/seed_recipients"; done
  fi

  # The test domains' routes (transport(5)); ok.$RELAY_SUFFIX also takes the bounces to senders there.
  cat >"$CONF/transport" <<EOF
ok.$RELAY_SUFFIX smtp:[127.0.0.1]:$ok_port
defer.$RELAY_SUFFIX smtp:[127.0.0.1]:$defer_port
bounce.$RELAY_SUFFIX smtp:[127.0.0.1]:$bounce_port
down.$RELAY_SUFFIX smtp:[127.0.0.1]:$down_port
EOF
  # lmtp(8) to Dovecot: "lmtp:inet:host:port" (transport(5), lmtp(8) SERVER ADDRESS).
  [ -z "$seed_port" ] || echo "$SEED_DOMAIN lmtp:inet:127.0.0.1:$seed_lmtp_port" >>"$CONF/transport"

  cat >"$CONF/master.cf" <<EOF
# Generated by scripts/services/postfix.sh: what smtpd needs to answer MAIL and RCPT, and virtual(8) for @$DELIVER_DOMAIN.
127.0.0.1:$smtp_port inet n - n - - smtpd
# The delivering listener (send e2e): same restrictions and greylisting, its own log name.
127.0.0.1:$deliver_port inet n - n - - smtpd -o syslog_name=postfix-deliver -o cleanup_service_name=cleanup-deliver
cleanup   unix  n - n - 0 cleanup
cleanup-deliver unix n - n - 0 cleanup -o syslog_name=postfix-deliver
# The relaying listener (monitor e2e): relays for mynetworks (127.0.0.1/32) only, no greylisting.
127.0.0.1:$relay_port inet n - n - - smtpd -o syslog_name=postfix-relay -o cleanup_service_name=cleanup-relay
  -o smtpd_relay_restrictions=permit_mynetworks,reject -o smtpd_recipient_restrictions=permit_mynetworks,reject
cleanup-relay unix n - n - 0 cleanup -o syslog_name=postfix-relay
smtp      unix  - - n - - smtp
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
# Delivery status notifications only come from relayed mail (the other listeners never queue a message
# that fails): their cleanup logs as postfix-relay/cleanup, so postfix/cleanup stays the main listener's.
bounce    unix  - - n - 0 bounce -o cleanup_service_name=cleanup-relay
defer     unix  - - n - 0 bounce -o cleanup_service_name=cleanup-relay
trace     unix  - - n - 0 bounce -o cleanup_service_name=cleanup-relay
verify    unix  - - n - 1 verify
proxymap  unix  - - n - - proxymap
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
  if [ -n "$seed_port" ]; then
    # smtpd_milters on this listener only (MILTER_README): Rspamd's proxy worker; milter_default_action
    # tempfail: if Rspamd is down the client hears 4xx rather than getting mail through unscanned.
    cat >>"$CONF/master.cf" <<EOF
# The seed listener (placement e2e): no greylisting, Rspamd as milter, delivery by lmtp(8) to Dovecot.
127.0.0.1:$seed_port inet n - n - - smtpd -o syslog_name=postfix-seed -o cleanup_service_name=cleanup-seed
  -o smtpd_recipient_restrictions=reject_unauth_destination -o smtpd_milters=inet:127.0.0.1:$seed_milter_port
  -o milter_default_action=tempfail
cleanup-seed unix n - n - 0 cleanup -o syslog_name=postfix-seed
lmtp      unix  - - n - - lmtp
EOF
  fi

  : >"$GREY/whitelist_clients"
  : >"$GREY/whitelist_recipients"
  chown postgrey "$GREY"/whitelist_*
  # --auto-whitelist-clients=0: every new triplet is greylisted, however often the tests have passed before.
  postgrey --inet="127.0.0.1:$grey_port" --delay="$DELAY" --dbdir="$GREY" \
    --pidfile="$GREY/postgrey.pid" --daemonize --user=postgrey --group=postgrey \
    --auto-whitelist-clients=0 --lookup-by-host \
    --whitelist-clients="$GREY/whitelist_clients" --whitelist-recipients="$GREY/whitelist_recipients" \
    --syslog-facility=none 2>>"$DIR/postgrey.log" || { log "postgrey failed to start (see $DIR/postgrey.log)"; exit 1; }

  # smtp-sink(1): -r soft-rejects (4xx) and -f hard-rejects (5xx) the listed commands.
  : >"$SINK_PIDS"
  start_sink "$ok_port" -h sink.ok.$RELAY_SUFFIX
  start_sink "$defer_port" -h sink.defer.$RELAY_SUFFIX -r RCPT
  start_sink "$bounce_port" -h sink.bounce.$RELAY_SUFFIX -f RCPT
  if ! wait_port 127.0.0.1 "$ok_port" 20 || ! wait_port 127.0.0.1 "$defer_port" 20 || ! wait_port 127.0.0.1 "$bounce_port" 20; then
    log "smtp-sink did not start listening (see $DIR/smtp-sink.log)"
    stop
    exit 1
  fi

  if ! postfix -c "$CONF" start >>"$DIR/start.log" 2>&1; then
    log "postfix failed to start:"
    tail -n 20 "$DIR/start.log" "$DIR/postfix.log" >&2 2>/dev/null || true
    # before postlogd runs, Postfix reports configuration errors only on a verbose stderr
    postfix -c "$CONF" -v check 2>&1 | grep -E 'fatal|error' >&2 || true
    stop
    exit 1
  fi
  if ! wait_port 127.0.0.1 "$smtp_port" 20 || ! wait_port 127.0.0.1 "$deliver_port" 20 || ! wait_port 127.0.0.1 "$relay_port" 20 || ! wait_port 127.0.0.1 "$grey_port" 20 \
    || { [ -n "$seed_port" ] && ! wait_port 127.0.0.1 "$seed_port" 20; }; then
    log "postfix or postgrey did not start listening"
    tail -n 20 "$DIR/start.log" "$DIR/postfix.log" "$DIR/postgrey.log" >&2 2>/dev/null || true
    stop
    exit 1
  fi

  cat >"$ENV_FILE" <<EOF
POSTFIX_HOST=127.0.0.1
POSTFIX_PORT=$smtp_port
POSTFIX_MX_NAME=$MXNAME
POSTFIX_DOMAIN=$DOMAIN
POSTFIX_CA_FILE=$DIR/tls/ca.pem
POSTFIX_CONFIG_DIR=$CONF
POSTFIX_LOG=$DIR/postfix.log
POSTFIX_DELIVER_PORT=$deliver_port
POSTFIX_DELIVER_DOMAIN=$DELIVER_DOMAIN
POSTFIX_MAILDIR=$MAILBOX/maildir
POSTFIX_RELAY_PORT=$relay_port
POSTFIX_RELAY_OK_DOMAIN=ok.$RELAY_SUFFIX
POSTFIX_RELAY_DEFER_DOMAIN=defer.$RELAY_SUFFIX
POSTFIX_RELAY_BOUNCE_DOMAIN=bounce.$RELAY_SUFFIX
POSTFIX_RELAY_DOWN_DOMAIN=down.$RELAY_SUFFIX
POSTFIX_RELAY_SINK_PORTS=$ok_port,$defer_port,$bounce_port
POSTFIX_QUEUE_LIFETIME=$QUEUE_LIFETIME
POSTGREY_PORT=$grey_port
POSTGREY_DELAY=$DELAY
EOF
  if [ -n "$seed_port" ]; then
    cat >>"$ENV_FILE" <<EOF
POSTFIX_SEED_PORT=$seed_port
POSTFIX_SEED_DOMAIN=$SEED_DOMAIN
POSTFIX_SEED_LMTP_PORT=$seed_lmtp_port
POSTFIX_SEED_MILTER_PORT=$seed_milter_port
EOF
  fi
  log "Postfix on 127.0.0.1:$smtp_port (delivering @$DELIVER_DOMAIN on 127.0.0.1:$deliver_port), postgrey on 127.0.0.1:$grey_port (delay ${DELAY}s), relaying @*.$RELAY_SUFFIX on 127.0.0.1:$relay_port${seed_port:+, seeds @$SEED_DOMAIN on 127.0.0.1:$seed_port (Rspamd milter $seed_milter_port, Dovecot LMTP $seed_lmtp_port)}; env in $ENV_FILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
