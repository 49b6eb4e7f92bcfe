#!/usr/bin/env bash
# Starts (or stops) every real service the end-to-end suite uses, on loopback only.
#   scripts/services.sh start   # each scripts/services/<name>.sh start, in turn (Dovecot and Rspamd first)
#   scripts/services.sh stop
# Each service writes $MAILPACE_SERVICES_DIR/<name>.env (KEY=VALUE lines: ports, paths) for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILPACE_SERVICES_DIR="${MAILPACE_SERVICES_DIR:-$PWD/.state/services}"
mkdir -p "$MAILPACE_SERVICES_DIR"
action="${1:-start}"
status=0
# Dovecot and Rspamd first: Postfix's seed route hands mail to Dovecot's LMTP through Rspamd's milter,
# and postfix.sh reads their ports from dovecot.env and rspamd.env.
seen=" "
for s in scripts/services/dovecot.sh scripts/services/rspamd.sh scripts/services/*.sh; do
  [ -e "$s" ] || continue
  [[ "$seen" == *" $s "* ]] && continue
  seen="$seen$s "
  name=$(basename "$s" .sh)
  if ! bash "$s" "$action"; then
    echo "services: $name failed to $action" >&2
    status=1
  fi
done
exit $status
