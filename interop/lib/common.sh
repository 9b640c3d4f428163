# shellcheck shell=bash
# Common settings and helpers of mailkit's interop harness. Source it; do not run it.
#
# Every daemon runs on loopback, on unprivileged ports, from a private state
# directory ($MAILKIT_PEERS_DIR, default /tmp/mailkit-peers); nothing under /etc is
# configured and no system service is started. Each started daemon's PID is
# recorded in $MAILKIT_PEERS_DIR/pids/<name>.pid (line 1: PID, line 2: a string
# that must appear in that process's command line or environment, so a reused
# PID is never signalled); lib/stop.sh stops exactly those PIDs.
#
# Environment (all optional):
#   MAILKIT_PEERS_DIR           state directory (default /tmp/mailkit-peers)
#   MAILKIT_PEERS_PORT_OFFSET   added to every port below (default 0), to run a
#                               second harness beside one that uses the defaults
#   MAILKIT_PEERS_START_TIMEOUT seconds to wait for each daemon's ports (default 30)
#   MAILKIT_PEERS_RELAY_TARGET  host:port the Postfix relay instance forwards to
#                               (default the smtp-sink)

MK_DIR="${MAILKIT_PEERS_DIR:-/tmp/mailkit-peers}"
MK_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MK_INTEROP="$(cd "$MK_LIB/.." && pwd)"
MK_ZONES="$MK_INTEROP/zones"

MK_DOMAIN=example.test
MK_USERS="alice bob bench"          # bench: target of load runs
MK_PASS=secret
MK_MAIL_USER=mailkit-peer           # Unix user owning the Maildirs (Postfix virtual(8) and Dovecot)

MK_OFF="${MAILKIT_PEERS_PORT_OFFSET:-0}"
MK_PORT_SMTP=$((2525 + MK_OFF))     # Postfix MX: STARTTLS offered, no AUTH, only @example.test
MK_PORT_SUBMIT=$((2587 + MK_OFF))   # Postfix submission: STARTTLS + AUTH required
MK_PORT_SMTPS=$((2465 + MK_OFF))    # Postfix submissions: implicit TLS + AUTH required
MK_PORT_RELAY=$((2526 + MK_OFF))    # Postfix relay instance (SMTP client side)
MK_PORT_IMAP=$((1143 + MK_OFF))     # Dovecot IMAP (STARTTLS)
MK_PORT_IMAPS=$((1993 + MK_OFF))    # Dovecot IMAPS
MK_PORT_POP3=$((1110 + MK_OFF))     # Dovecot POP3 (STLS)
MK_PORT_POP3S=$((1995 + MK_OFF))    # Dovecot POP3S
MK_PORT_DNS=$((5353 + MK_OFF))      # nsd, UDP + TCP
MK_PORT_SINK=$((2599 + MK_OFF))     # Postfix smtp-sink
MK_PORT_REDIS=$((16379 + MK_OFF))   # redis-server

MK_RELAY_TARGET="${MAILKIT_PEERS_RELAY_TARGET:-127.0.0.1:$MK_PORT_SINK}"
MK_TIMEOUT="${MAILKIT_PEERS_START_TIMEOUT:-30}"

# System python (has smtplib/imaplib/poplib), not a pyenv shim.
MK_PY=/usr/bin/python3
[ -x "$MK_PY" ] || MK_PY=python3

mk_log() { printf '[interop] %s\n' "$*" >&2; }
mk_die() { printf '[interop] FATAL: %s\n' "$*" >&2; exit 1; }

# Whether ::1 is configured on this machine (daemons also listen there if so).
mk_have_ipv6() { grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; }

# Record a PID we started: name pid marker.
mk_record_pid() {
    mkdir -p "$MK_DIR/pids"
    printf '%s\n%s\n' "$2" "$3" > "$MK_DIR/pids/$1.pid"
}

# Whether something accepts TCP connections on 127.0.0.1:port.
mk_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Wait until every given TCP port on 127.0.0.1 accepts connections, at most
# $MK_TIMEOUT seconds in all. Returns 1 on timeout.
mk_wait_ports() {
    local deadline=$((SECONDS + MK_TIMEOUT)) p
    for p in "$@"; do
        until mk_port_open "$p"; do
            [ "$SECONDS" -lt "$deadline" ] || { mk_log "port $p not listening after ${MK_TIMEOUT}s"; return 1; }
            sleep 0.1
        done
    done
}

# Fail unless every given port is free: another program (for instance a second
# harness with the same ports) would otherwise answer our tests.
mk_require_free() { # service port...
    local s=$1 p; shift
    for p in "$@"; do
        if mk_port_open "$p"; then
            mk_log "$s: port $p on 127.0.0.1 is already in use by another program:"
            ss -ltnp 2>/dev/null | grep -E ":$p\b" >&2 || true
            mk_die "$s: port $p busy (stop that program or set MAILKIT_PEERS_PORT_OFFSET)"
        fi
    done
}

# Print the tail of each given log file to stderr (on start failure).
mk_dump_logs() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        printf '[interop] ---- last lines of %s ----\n' "$f" >&2
        tail -n 40 "$f" >&2
    done
}

# Refuse anything but loopback as a host.
mk_check_loopback() {
    case "$1" in
        127.*|::1|\[::1\]|localhost) return 0 ;;
        *) mk_die "refusing non-loopback host '$1'" ;;
    esac
}

# Whether process PID exists and is not a zombie (an exited child waiting for
# init to reap it, which can take seconds in some containers).
mk_alive() {
    local st
    st=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Whether the process PID is alive and still the one we recorded (marker in its
# command line or environment).
mk_pid_ours() { # pid marker
    local info
    mk_alive "$1" || return 1
    info=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
    info+=" $(tr '\0' ' ' < "/proc/$1/environ" 2>/dev/null)"
    [ -z "$2" ] || [[ "$info" == *"$2"* ]]
}

# Whether the recorded daemon NAME is running.
mk_running() { # name
    local f="$MK_DIR/pids/$1.pid" pid marker
    [ -s "$f" ] || return 1
    pid=$(sed -n 1p "$f"); marker=$(sed -n 2p "$f")
    mk_pid_ours "$pid" "$marker"
}
