#!/usr/bin/env bash
# Postfix's smtp-sink: a fast SMTP server that accepts and discards everything
# (benchmark reference and default target of the relay instance).
#   sink.sh start | stop        on 127.0.0.1:$MK_PORT_SINK
# MAILKIT_PEERS_SINK_DUMP=1 dumps every transaction under $MAILKIT_PEERS_DIR/sink/dump/.
set -euo pipefail
. "$(dirname "$0")/common.sh"

D="$MK_DIR/sink"
case "${1:-start}" in
start)
    if mk_running smtp-sink; then mk_log "smtp-sink already running"; exit 0; fi
    command -v smtp-sink >/dev/null || mk_die "smtp-sink (postfix) is not installed (run interop/lib/install.sh)"
    mk_require_free smtp-sink "$MK_PORT_SINK"
    mkdir -p "$D/dump"; chown postfix "$D/dump"
    args=(-u postfix -h "sink.$MK_DOMAIN")
    [ "${MAILKIT_PEERS_SINK_DUMP:-0}" = 1 ] && args+=(-d "$D/dump/%Y%m%d%H/%M.")
    args+=("127.0.0.1:$MK_PORT_SINK" 256)
    setsid smtp-sink "${args[@]}" >> "$D/smtp-sink.log" 2>&1 < /dev/null &
    mk_record_pid smtp-sink $! "127.0.0.1:$MK_PORT_SINK"
    if ! mk_wait_ports "$MK_PORT_SINK"; then mk_dump_logs "$D/smtp-sink.log"; mk_die "smtp-sink is not listening"; fi
    mk_log "smtp-sink up on $MK_PORT_SINK (pid $(sed -n 1p "$MK_DIR/pids/smtp-sink.pid"))"
    ;;
stop) "$MK_LIB/stop.sh" smtp-sink ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
