# shellcheck shell=bash
# Common argument handling for the client wrappers. Source it.
# Usage of every wrapper:  WRAPPER HOST PORT USER PASS TLS
#   TLS = none | starttls | implicit
#   USER may be "" for SMTP (no AUTH).
# Env:
#   MK_CA=file      CA bundle used to verify the server (default $MK_DIR/tls/ca.crt)
#   MK_TLS_VERIFY=0 do not verify the server certificate (for servers with their own cert)
#   MK_FROM / MK_TO SMTP envelope (default USER or alice@example.test -> bob@example.test)
#   MK_FOLDER       IMAP folder used for APPEND/EXPUNGE (default MailkitTest-<wrapper>)
#   MK_VERBOSE=1    show the protocol session
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

if [ $# -lt 5 ]; then
    echo "usage: $(basename "$0") HOST PORT USER PASS none|starttls|implicit" >&2
    exit 2
fi
HOST=$1; PORT=$2; USER_=$3; PASS_=$4; TLS=$5
mk_check_loopback "$HOST"
case "$TLS" in none|starttls|implicit) ;; *) echo "bad tls mode '$TLS'" >&2; exit 2 ;; esac
MK_CA="${MK_CA:-$MK_DIR/tls/ca.crt}"
MK_TLS_VERIFY="${MK_TLS_VERIFY:-1}"
# host as it goes into a URL
case "$HOST" in *:*) URLHOST="[${HOST#[}"; URLHOST="${URLHOST%]}]" ; HOST="${HOST#[}"; HOST="${HOST%]}" ;; *) URLHOST=$HOST ;; esac
export HOST PORT USER_ PASS_ TLS MK_CA MK_TLS_VERIFY URLHOST
WRAPPER=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mailkit-$WRAPPER.XXXXXX")
if [ "${MK_KEEP_WORK:-0}" = 1 ]; then echo "[$WRAPPER] work dir: $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi
ok()   { echo "[$WRAPPER] OK: $*"; }
fail() { echo "[$WRAPPER] FAIL: $*" >&2; exit 1; }

# A realistic multipart message (text + html alternative + base64 attachment), CRLF line ends.
make_message() { # from to subject -> stdout
    local from=$1 to=$2 subj=$3 b1="=_alt_$$" b2="=_mix_$$"
    {
        printf 'From: Mailkit Test <%s>\n' "$from"
        printf 'To: <%s>\n' "$to"
        printf 'Subject: %s\n' "$subj"
        printf 'Date: %s\n' "$(LC_ALL=C date -R)"
        printf 'Message-ID: <%s.%s@client.example.test>\n' "$(date +%s%N)" "$$"
        printf 'MIME-Version: 1.0\n'
        printf 'Content-Type: multipart/mixed; boundary="%s"\n\n' "$b2"
        printf 'This is a multi-part message in MIME format.\n\n'
        printf -- '--%s\nContent-Type: multipart/alternative; boundary="%s"\n\n' "$b2" "$b1"
        printf -- '--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n' "$b1"
        printf 'Hello from the mailkit interop harness (%s).\nGr=C3=BC=C3=9Fe, caf=C3=A9.\n.leading dot line\n\n' "$WRAPPER"
        printf -- '--%s\nContent-Type: text/html; charset=utf-8\n\n<p>Hello from <b>%s</b></p>\n\n' "$b1" "$WRAPPER"
        printf -- '--%s--\n\n' "$b1"
        printf -- '--%s\nContent-Type: application/octet-stream; name="data.bin"\n' "$b2"
        printf 'Content-Disposition: attachment; filename="data.bin"\nContent-Transfer-Encoding: base64\n\n'
        head -c 3000 /dev/urandom | base64 -w 76
        printf '\n--%s--\n' "$b2"
    } | sed 's/$/\r/'
}
