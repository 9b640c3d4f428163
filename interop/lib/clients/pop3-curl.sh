#!/usr/bin/env bash
# POP3 with curl, one connection (requests chained with --next): [STLS (--ssl-reqd) | pop3s://], AUTH/USER+PASS,
# STAT, LIST, UIDL, RETR n (every message, max 50), DELE 1 (MK_POP3_DELE=0 to skip), QUIT.
#   pop3-curl.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
scheme=pop3; C=(-sS --connect-timeout 15 --max-time 60 -u "$USER_:$PASS_")
case "$TLS" in starttls) C+=(--ssl-reqd) ;; implicit) scheme=pop3s ;; esac
if [ "$TLS" != none ]; then
    if [ "$MK_TLS_VERIFY" = 1 ]; then C+=(--cacert "$MK_CA"); else C+=(-k); fi
fi
U="$scheme://$URLHOST:$PORT"
run() { local step=$1 rc=0; shift
    curl -v "$@" > "$WORK/$step.out" 2>> "$WORK/log" || rc=$?
    if [ $rc != 0 ]; then grep -E '^[<>*]' "$WORK/log" | tail -30 >&2; fail "step $step (curl exit $rc)"; fi
    [ "${MK_VERBOSE:-0}" = 1 ] && cat "$WORK/$step.out"; return 0; }
# STAT gives a single-line answer: -I (no body) and read it from the -v log
run list "${C[@]}" -I -X STAT "$U/" --next "${C[@]}" "$U/" --next "${C[@]}" -X UIDL "$U/"
stat=$(grep -E '^< \+OK [0-9]+ [0-9]+' "$WORK/log" | head -1 | tr -d '\r' | sed 's/^< //')
[ -n "$stat" ] || fail "no STAT answer"
n=$(echo "$stat" | awk '{print $2}')
# list.out holds LIST then UIDL lines: "n size" then "n uid"
nlist=$(grep -cE '^[0-9]+ ' "$WORK/list.out")
[ "$nlist" = $((2 * n)) ] || fail "LIST+UIDL gave $nlist lines for $n messages"
[ "$n" -gt 0 ] || { [ "${MK_POP3_ALLOW_EMPTY:-0}" = 1 ] && { ok "STAT $stat (empty)"; exit 0; }; fail "maildrop is empty"; }
steps=()
for ((i = 1; i <= n && i <= 50; i++)); do
    [ $i -gt 1 ] && steps+=(--next); steps+=("${C[@]}" -o "$WORK/msg.$i" "$U/$i")
done
[ "${MK_POP3_DELE:-1}" = 1 ] && steps+=(--next "${C[@]}" -I -X DELE "$U/1")
run retr "${steps[@]}"
for ((i = 1; i <= n && i <= 50; i++)); do [ -s "$WORK/msg.$i" ] || fail "RETR $i empty"; done
grep -q '^> DELE 1' "$WORK/log" || [ "${MK_POP3_DELE:-1}" = 0 ] || fail "DELE not sent"
ok "$stat, LIST+UIDL $n each, RETR $((n > 50 ? 50 : n)), DELE ${MK_POP3_DELE:-1}; connections: $(grep -c '^\* Connected to' "$WORK/log")"
