#!/usr/bin/env bash
# Show each recorded daemon (running or not) and the harness ports in LISTEN state.
set -uo pipefail
. "$(dirname "$0")/common.sh"
echo "state dir: $MK_DIR"
for f in "$MK_DIR"/pids/*.pid; do
    [ -e "$f" ] || { echo "(no pid files)"; break; }
    n=$(basename "$f" .pid); pid=$(sed -n 1p "$f")
    if mk_running "$n"; then st="running: $(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-70)"; else st="NOT RUNNING"; fi
    printf '%-14s pid %-7s %s\n' "$n" "$pid" "$st"
done
ports="$MK_PORT_SMTP|$MK_PORT_SUBMIT|$MK_PORT_SMTPS|$MK_PORT_RELAY|$MK_PORT_IMAP|$MK_PORT_IMAPS|$MK_PORT_POP3|$MK_PORT_POP3S|$MK_PORT_DNS|$MK_PORT_SINK|$MK_PORT_REDIS"
echo "listening:"
ss -lntuH 2>/dev/null | awk '{print $1, $5}' | grep -E ":($ports)\$" | sort -u | sed 's/^/  /'
