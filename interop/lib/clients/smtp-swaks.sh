#!/usr/bin/env bash
# SMTP session with swaks: EHLO, [STARTTLS|implicit TLS], [AUTH], MAIL, RCPT (x2 if MK_TO has a comma), DATA
# (multipart MIME message), QUIT.   smtp-swaks.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
FROM=${MK_FROM:-${USER_:-alice@example.test}}; [[ $FROM == *@* ]] || FROM="$FROM@$MK_DOMAIN"
TO=${MK_TO:-bob@example.test}
make_message "$FROM" "${TO%%,*}" "swaks multipart test" > "$WORK/msg.eml"
args=(--server "$HOST" --port "$PORT" --helo client.example.test --from "$FROM" --to "$TO" --data "@$WORK/msg.eml" --timeout 30)
case "$TLS" in
    starttls) args+=(--tls) ;;
    implicit) args+=(--tls-on-connect) ;;
esac
if [ "$TLS" != none ] && [ "$MK_TLS_VERIFY" = 1 ]; then args+=(--tls-verify --tls-ca-path "$MK_CA"); fi
[ -n "$USER_" ] && args+=(--auth --auth-user "$USER_" --auth-password "$PASS_")
if swaks "${args[@]}" > "$WORK/log" 2>&1; then
    [ "${MK_VERBOSE:-0}" = 1 ] && cat "$WORK/log"
    ok "$(grep -E '^<[-~]* +250 .*(queued|[Oo]k)' "$WORK/log" | tail -1 | sed -E 's/^<[-~]* +//')"
else
    rc=$?; cat "$WORK/log" >&2; fail "swaks exit $rc"
fi
