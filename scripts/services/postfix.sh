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

log() { echo "postfix.sh: $*" >&2; }

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

stop() {
  if [ -d "$CONF" ] && [ -f "$QUEUE/pid/master.pid" ]; then
    postfix -c "$CONF" stop >/dev/null 2>&1 || true
    # postfix stop returns before the master has gone; wait for it so a restart can bind the port
    local pid
    pid=$(tr -dc '0-9' <"$QUEUE/pid/master.pid" 2>/dev/null || true)
    for _ in $(seq 1 50); do
      if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
      sleep 0.1
    done
  fi
  if [ -f "$GREY/postgrey.pid" ]; then
    local gpid
    gpid=$(cat "$GREY/postgrey.pid" 2>/dev/null || true)
    if [ -n "$gpid" ] && kill -0 "$gpid" 2>/dev/null; then
      kill "$gpid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$GREY/postgrey.pid"
  fi
  rm -f "$ENV_FILE"
}

make_certs() {
  local d="$DIR/tls"
  mkdir -p "$d"
  # A test CA and a leaf for the MX name (and 127.0.0.1), so tests can pass --ca-file and see "trusted".
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=mailpace test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$MXNAME" -keyout "$d/mx.key" -out "$d/mx.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$MXNAME" >"$d/ext.cnf"
  openssl x509 -req -in "$d/mx.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$d/ext.cnf" -out "$d/mx.pem" 2>/dev/null
  chmod 600 "$d/mx.key" "$d/ca.key"
}

start() {
  command -v postfix >/dev/null || { log "postfix is not installed (apt-get install postfix)"; exit 1; }
  command -v postgrey >/dev/null || { log "postgrey is not installed (apt-get install postgrey)"; exit 1; }
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
  make_certs

  local smtp_port grey_port deliver_port
  smtp_port=$(free_port)
  grey_port=$(free_port)
  while [ "$grey_port" = "$smtp_port" ]; do grey_port=$(free_port); done
  deliver_port=$(free_port)
  while [ "$deliver_port" = "$smtp_port" ] || [ "$deliver_port" = "$grey_port" ]; do deliver_port=$(free_port); done

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
EOF

  cat >"$CONF/master.cf" <<EOF
# Generated by scripts/services/postfix.sh: what smtpd needs to answer MAIL and RCPT, and virtual(8) for @$DELIVER_DOMAIN.
127.0.0.1:$smtp_port inet n - n - - smtpd
# The delivering listener (send e2e): same restrictions and greylisting, its own log name.
127.0.0.1:$deliver_port inet n - n - - smtpd -o syslog_name=postfix-deliver -o cleanup_service_name=cleanup-deliver
cleanup   unix  n - n - 0 cleanup
cleanup-deliver unix n - n - 0 cleanup -o syslog_name=postfix-deliver
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
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

  : >"$GREY/whitelist_clients"
  : >"$GREY/whitelist_recipients"
  chown postgrey "$GREY"/whitelist_*
  # --auto-whitelist-clients=0: every new triplet is greylisted, however often the tests have passed before.
  postgrey --inet="127.0.0.1:$grey_port" --delay="$DELAY" --dbdir="$GREY" \
    --pidfile="$GREY/postgrey.pid" --daemonize --user=postgrey --group=postgrey \
    --auto-whitelist-clients=0 --lookup-by-host \
    --whitelist-clients="$GREY/whitelist_clients" --whitelist-recipients="$GREY/whitelist_recipients" \
    --syslog-facility=none 2>>"$DIR/postgrey.log" || { log "postgrey failed to start (see $DIR/postgrey.log)"; exit 1; }

  if ! postfix -c "$CONF" start >>"$DIR/start.log" 2>&1; then
    log "postfix failed to start:"
    tail -n 20 "$DIR/start.log" "$DIR/postfix.log" >&2 2>/dev/null || true
    # before postlogd runs, Postfix reports configuration errors only on a verbose stderr
    postfix -c "$CONF" -v check 2>&1 | grep -E 'fatal|error' >&2 || true
    stop
    exit 1
  fi
  if ! wait_port 127.0.0.1 "$smtp_port" 20 || ! wait_port 127.0.0.1 "$deliver_port" 20 || ! wait_port 127.0.0.1 "$grey_port" 20; then
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
POSTGREY_PORT=$grey_port
POSTGREY_DELAY=$DELAY
EOF
  log "Postfix on 127.0.0.1:$smtp_port (delivering @$DELIVER_DOMAIN on 127.0.0.1:$deliver_port), postgrey on 127.0.0.1:$grey_port (delay ${DELAY}s); env in $ENV_FILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
