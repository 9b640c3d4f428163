#!/usr/bin/env bash
# Stop what start.sh started: ONLY the PIDs recorded in $MAILKIT_PEERS_DIR/pids/*.pid,
# and only while each still matches its recorded marker (a reused PID is left alone).
# Postfix gets `postfix -c DIR stop` and Dovecot `doveadm stop` first (they signal only
# the master of that private instance); then SIGTERM, then SIGKILL after 5 s.
#   stop.sh            stop all
#   stop.sh NAME...    only these (nsd dovecot postfix-mx postfix-relay smtp-sink redis)
set -uo pipefail
. "$(dirname "$0")/common.sh"

PD="$MK_DIR/pids"
[ -d "$PD" ] || exit 0

if [ $# -gt 0 ]; then names=("$@"); else
    names=()
    for f in "$PD"/*.pid; do [ -e "$f" ] && names+=("$(basename "$f" .pid)"); done
fi

graceful() { # name
    case "$1" in
        postfix-mx|postfix-relay)
            local d="$MK_DIR/postfix/${1#postfix-}/etc"
            [ -f "$d/main.cf" ] && postfix -c "$d" stop >/dev/null 2>&1 ;;
        dovecot)
            [ -f "$MK_DIR/dovecot/dovecot.conf" ] && doveadm -c "$MK_DIR/dovecot/dovecot.conf" stop >/dev/null 2>&1 ;;
        *) kill -TERM "$2" 2>/dev/null ;;
    esac
    return 0
}

gone() { # pid: wait up to 5 s for it to exit
    for _ in $(seq 50); do mk_alive "$1" || return 0; sleep 0.1; done
    return 1
}

rc=0
for n in "${names[@]}"; do
    f="$PD/$n.pid"
    [ -f "$f" ] || continue
    pid=$(sed -n 1p "$f"); marker=$(sed -n 2p "$f")
    if [ -z "$pid" ] || ! mk_alive "$pid"; then
        mk_log "$n: not running"; rm -f "$f"; continue
    fi
    if ! mk_pid_ours "$pid" "$marker"; then
        mk_log "$n: pid $pid is no longer '$marker'; not touching it"; rm -f "$f"; continue
    fi
    graceful "$n" "$pid"
    if ! gone "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        if ! gone "$pid"; then
            mk_log "$n: pid $pid ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            gone "$pid" || { mk_log "$n: pid $pid survived SIGKILL"; rc=1; continue; }
        fi
    fi
    mk_log "$n: stopped (pid $pid)"
    rm -f "$f"
done
exit $rc
