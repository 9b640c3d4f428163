#!/usr/bin/env bash
# Install the Debian packages the interop harness needs (skips what is installed),
# and create the Unix user that owns the test Maildirs. Needs root.
#   install.sh            servers and clients
#   install.sh servers    nsd, postfix, dovecot, redis-server, openssl
#   install.sh clients    swaks, curl, python3, dig
# Packages never start their system services here: a temporary
# /usr/sbin/policy-rc.d (exit 101) blocks that during the install.
set -euo pipefail
. "$(dirname "$0")/common.sh"

SERVERS=(nsd postfix dovecot-core dovecot-imapd dovecot-pop3d redis-server redis-tools openssl ca-certificates)
CLIENTS=(swaks libnet-ssleay-perl libio-socket-ssl-perl libio-socket-inet6-perl libauthen-sasl-perl libdigest-hmac-perl
         libnet-dns-perl curl python3 bind9-dnsutils)

case "${1:-all}" in
    all) pkgs=("${SERVERS[@]}" "${CLIENTS[@]}") ;;
    servers) pkgs=("${SERVERS[@]}") ;;
    clients) pkgs=("${CLIENTS[@]}") ;;
    *) echo "usage: $0 [all|servers|clients]" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || mk_die "install.sh needs root (apt-get, useradd)"

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    start=$SECONDS
    mk_log "installing: ${missing[*]}"
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    # MAILKIT_APT_UPDATED=1: the caller (.ci/run) already ran apt-get update.
    if [ "${MAILKIT_APT_UPDATED:-0}" != 1 ]; then
        apt-get update -q >/dev/null
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        > "${TMPDIR:-/tmp}/mailkit-apt.log" 2>&1 || rc=$?
    [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ $rc != 0 ]; then
        tail -n 40 "${TMPDIR:-/tmp}/mailkit-apt.log" >&2
        mk_die "apt-get install failed (exit $rc)"
    fi
    mk_log "installed ${#missing[@]} packages in $((SECONDS - start))s"
fi

if ! id "$MK_MAIL_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$MK_MAIL_USER"
fi
