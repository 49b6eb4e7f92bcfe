#!/usr/bin/env bash
# A real IMAP mailbox for the `bounce fetch` e2e tests (and, later, placement's seed mailboxes):
# Debian's Dovecot with a private configuration, on loopback only.
#   scripts/services/dovecot.sh start   # writes $MAILPACE_SERVICES_DIR/dovecot.env
#   scripts/services/dovecot.sh stop
#
# - Dovecot runs from $MAILPACE_SERVICES_DIR/dovecot/conf/dovecot.conf (dovecot -c), with its own
#   base_dir (sockets, master.pid), state_dir and log file there: the system's /etc/dovecot, /run/dovecot
#   and /var/lib/dovecot are never read or written, and a Dovecot the machine runs is left alone.
# - Listeners on 127.0.0.1 only, each on a free high port: IMAP (plain, STARTTLS offered), IMAPS
#   (implicit TLS) and LMTP. TLS uses a test certificate made here (a throw-away CA + a leaf for
#   imap.mailpace.test and 127.0.0.1), so tests pass --ca-file and see a trusted connection.
# - Users come from a passwd-file (DOVECOT_USERS=bounces,seed1,seed2) with one random password
#   made at start, written only to a 0600 file (DOVECOT_PASSWORD_FILE) — never on a command line.
#   User names are local parts: LMTP's RCPT TO:<seed1@mailpace.test> and IMAP's "seed1" are the same
#   user (auth_username_format = %Ln).
# - Mail is Maildir under $MAILPACE_SERVICES_DIR/dovecot/mail/<user>/Maildir, owned by the Debian
#   `mail` user, the only uid Dovecot will switch to (first_valid_uid = last_valid_uid).
# - LMTP delivery runs the Sieve plugin (dovecot-sieve, Pigeonhole): a user's active script is
#   <home>/.dovecot.sieve. The seed users get one that files mail carrying X-Spam-Flag: YES into Junk,
#   the way a receiver's spam filter would (placement's e2e tests).
# Needs root (the master binds, then runs logins as dovenull and mail as `mail`), as in CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES_DIR="${MAILPACE_SERVICES_DIR:-$PWD/.state/services}"
DIR="$SERVICES_DIR/dovecot"
CONF="$DIR/conf"
RUN="$DIR/run"
STATE="$DIR/state"
MAIL="$DIR/mail"
ENV_FILE="$SERVICES_DIR/dovecot.env"
NAME=imap.mailpace.test
DOMAIN=mailpace.test
USERS="bounces seed1 seed2"

log() { echo "dovecot.sh: $*" >&2; }

. scripts/services/common.bash

stop() {
  local pidfile="$RUN/master.pid" pid
  if [ -f "$pidfile" ]; then
    pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)
    # only the master this script started (its pid file lives in our base_dir); it takes its children down
    stop_pid "$pid"
    rm -f "$pidfile"
  fi
  rm -f "$ENV_FILE"
}

start() {
  command -v dovecot >/dev/null || { log "dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd dovecot-sieve)"; exit 1; }
  [ -x /usr/lib/dovecot/imap ] || { log "the IMAP server is not installed (apt-get install dovecot-imapd)"; exit 1; }
  [ -x /usr/lib/dovecot/lmtp ] || { log "the LMTP server is not installed (apt-get install dovecot-lmtpd)"; exit 1; }
  [ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] || { log "the Sieve plugin is not installed (apt-get install dovecot-sieve)"; exit 1; }
  [ "$(id -u)" = 0 ] || { log "must run as root (Dovecot's master switches users)"; exit 1; }
  id mail >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 && id dovecot >/dev/null 2>&1 || { log "the mail, dovecot and dovenull users are missing"; exit 1; }
  stop
  rm -rf "$DIR"
  mkdir -p "$CONF" "$RUN" "$STATE" "$MAIL"
  # login processes (dovenull) and mail processes (mail) must traverse the tree to their sockets and maildirs
  chmod 755 "$DIR" "$MAIL"
  make_test_certs "$DIR/tls" "mailpace test IMAP CA" "$NAME" server

  local imap_port imaps_port lmtp_port
  imap_port=$(free_port)
  imaps_port=$(free_port)
  while [ "$imaps_port" = "$imap_port" ]; do imaps_port=$(free_port); done
  lmtp_port=$(free_port)
  while [ "$lmtp_port" = "$imap_port" ] || [ "$lmtp_port" = "$imaps_port" ]; do lmtp_port=$(free_port); done

  local uid gid password
  uid=$(id -u mail)
  gid=$(id -g mail)
  password=$(openssl rand -hex 16)
  umask 077
  printf '%s\n' "$password" >"$DIR/password"
  : >"$CONF/users"
  for u in $USERS; do
    # passwd-file: user:{scheme}password:uid:gid::home (doc.dovecot.org, "Passwd-file")
    printf '%s:{PLAIN}%s:%s:%s::%s\n' "$u" "$password" "$uid" "$gid" "$MAIL/$u" >>"$CONF/users"
    mkdir -p "$MAIL/$u"
    case "$u" in
      seed*)
        # A seed's spam filter: what the receiver's filter marked as spam (X-Spam-Flag: YES, as
        # SpamAssassin and Rspamd's milter write it) is filed into Junk, as a real mailbox provider does.
        mkdir -p "$MAIL/$u/sieve"
        cat >"$MAIL/$u/sieve/spam-to-junk.sieve" <<'SIEVE'
require ["fileinto"];
if header :is "X-Spam-Flag" "YES" {
  fileinto "Junk";
  stop;
}
SIEVE
        ln -s sieve/spam-to-junk.sieve "$MAIL/$u/.dovecot.sieve"
        chown -R "$uid:$gid" "$MAIL/$u/sieve"
        chown -h "$uid:$gid" "$MAIL/$u/.dovecot.sieve"
        ;;
    esac
    chown "$uid:$gid" "$MAIL/$u"
  done
  umask 022
  # the auth process (default_internal_user) reads the passwd-file; nobody else may
  chown "root:$(id -g dovecot)" "$CONF/users"
  chmod 640 "$CONF/users"

  cat >"$CONF/dovecot.conf" <<EOF
# Generated by scripts/services/dovecot.sh: a loopback-only test mailbox server. Not for real mail.
base_dir = $RUN
state_dir = $STATE
instance_name = mailpace-dovecot
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
shutdown_clients = yes

default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = $uid
last_valid_uid = $uid

# Plain-text logins are allowed without TLS (the tests log in both ways); loopback only anyway.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $CONF/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $CONF/users
}

mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
  }
}

ssl = yes
ssl_cert = <$DIR/tls/server.pem
ssl_key = <$DIR/tls/server.key
ssl_min_protocol = TLSv1.2

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp_port
  }
}
# No POP3, no submission, no doveadm or replication listeners on the network.
service doveadm {
  inet_listener {
    port = 0
  }
}

protocol lmtp {
  mail_plugins = \$mail_plugins sieve
  postmaster_address = postmaster@$DOMAIN
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
EOF

  if ! dovecot -c "$CONF/dovecot.conf" >>"$DIR/start.log" 2>&1; then
    log "dovecot failed to start:"
    tail -n 20 "$DIR/start.log" "$DIR/dovecot.log" >&2 2>/dev/null || true
    stop
    exit 1
  fi
  if ! wait_port 127.0.0.1 "$imap_port" 20 || ! wait_port 127.0.0.1 "$imaps_port" 20 || ! wait_port 127.0.0.1 "$lmtp_port" 20; then
    log "dovecot did not start listening"
    tail -n 20 "$DIR/start.log" "$DIR/dovecot.log" >&2 2>/dev/null || true
    stop
    exit 1
  fi

  cat >"$ENV_FILE" <<EOF
DOVECOT_HOST=127.0.0.1
DOVECOT_IMAP_PORT=$imap_port
DOVECOT_IMAPS_PORT=$imaps_port
DOVECOT_LMTP_PORT=$lmtp_port
DOVECOT_NAME=$NAME
DOVECOT_DOMAIN=$DOMAIN
DOVECOT_USERS=${USERS// /,}
DOVECOT_PASSWORD_FILE=$DIR/password
DOVECOT_CA_FILE=$DIR/tls/ca.pem
DOVECOT_MAIL_DIR=$MAIL
DOVECOT_CONFIG=$CONF/dovecot.conf
DOVECOT_LOG=$DIR/dovecot.log
EOF
  log "Dovecot on 127.0.0.1: IMAP $imap_port (STARTTLS), IMAPS $imaps_port, LMTP $lmtp_port; users $USERS; env in $ENV_FILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
