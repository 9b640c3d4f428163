#!/usr/bin/env bash
# SMTP session with curl: EHLO, [STARTTLS (--ssl-reqd) | smtps://], [AUTH], MAIL, RCPT..., DATA (multipart), QUIT.
#   smtp-curl.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
FROM=${MK_FROM:-${USER_:-alice@example.test}}; [[ $FROM == *@* ]] || FROM="$FROM@$MK_DOMAIN"
TO=${MK_TO:-bob@example.test}
make_message "$FROM" "${TO%%,*}" "curl multipart test" > "$WORK/msg.eml"
scheme=smtp; args=(-sS --connect-timeout 10 --max-time 60 --mail-from "$FROM" --upload-file "$WORK/msg.eml")
IFS=, read -ra rcpts <<< "$TO"; for r in "${rcpts[@]}"; do args+=(--mail-rcpt "$r"); done
case "$TLS" in
    starttls) args+=(--ssl-reqd) ;;
    implicit) scheme=smtps ;;
esac
if [ "$TLS" != none ]; then
    if [ "$MK_TLS_VERIFY" = 1 ]; then args+=(--cacert "$MK_CA"); else args+=(-k); fi
fi
[ -n "$USER_" ] && args+=(-u "$USER_:$PASS_")
if curl -v "${args[@]}" "$scheme://$URLHOST:$PORT/client.example.test" > "$WORK/out" 2> "$WORK/log"; then
    [ "${MK_VERBOSE:-0}" = 1 ] && grep -E '^[<>]' "$WORK/log"
    ok "$(grep -E '^< 250 ' "$WORK/log" | tail -1 | sed 's/^< //' | tr -d '\r')"
else
    rc=$?; grep -E '^[<>*]' "$WORK/log" >&2; fail "curl exit $rc"
fi
