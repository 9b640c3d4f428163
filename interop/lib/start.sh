#!/usr/bin/env bash
# Start the interop peers (installs missing packages first, makes the test CA).
# Running daemons of this state dir are left as they are; a port already taken
# by another program is an error.
#   start.sh                  everything: nsd dovecot postfix sink redis
#   start.sh nsd redis        only these (postfix needs dovecot for SASL)
set -euo pipefail
. "$(dirname "$0")/common.sh"

services=("$@")
[ ${#services[@]} -gt 0 ] || services=(nsd dovecot postfix sink redis)
start=$SECONDS
mkdir -p "$MK_DIR/pids"
chmod 755 "$MK_DIR"
"$MK_LIB/install.sh"
"$MK_LIB/tls.sh"
for s in "${services[@]}"; do
    case "$s" in
        nsd|dns) "$MK_LIB/nsd.sh" start ;;
        dovecot) "$MK_LIB/dovecot.sh" start ;;
        postfix) "$MK_LIB/postfix.sh" start ;;
        sink) "$MK_LIB/sink.sh" start ;;
        redis) "$MK_LIB/redis.sh" start ;;
        *) mk_die "unknown service $s (nsd dovecot postfix sink redis)" ;;
    esac
done
mk_log "started ${services[*]} in $((SECONDS - start))s; state in $MK_DIR"
