#!/usr/bin/env bash
# IMAP with curl (several curl runs; inside each, requests chained with --next reuse one connection):
#  1) LIST "" * ; EXAMINE INBOX        2) [APPEND seed if INBOX empty] SELECT INBOX, FETCH 1:* (FLAGS UID RFC822.SIZE),
#  FETCH n BODY[] for every message (max 50), STORE 1 +FLAGS (\Seen), [CREATE folder], APPEND multipart to folder
#  3) SELECT folder, SEARCH HEADER Message-ID    4) STORE +FLAGS (\Deleted), EXPUNGE, STATUS
#   imap-curl.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
FOLDER="${MK_FOLDER:-MailkitTest-imap-curl}"
make_message "$USER_" "$USER_" "curl imap append test" > "$WORK/msg.eml"
MID=$(grep -m1 '^Message-ID:' "$WORK/msg.eml" | sed 's/^Message-ID: //' | tr -d '\r')
scheme=imap; C=(-sS --connect-timeout 10 --max-time 60 -u "$USER_:$PASS_")
case "$TLS" in starttls) C+=(--ssl-reqd) ;; implicit) scheme=imaps ;; esac
if [ "$TLS" != none ]; then
    if [ "$MK_TLS_VERIFY" = 1 ]; then C+=(--cacert "$MK_CA"); else C+=(-k); fi
fi
U="$scheme://$URLHOST:$PORT"
run() { # step args...   (stdout -> $WORK/step.out, -v log appended to $WORK/log)
    local step=$1; shift
    local rc=0
    curl -v "$@" > "$WORK/$step.out" 2>> "$WORK/log" || rc=$?
    if [ $rc != 0 ]; then
        grep -E '^[<>*]' "$WORK/log" | tail -30 >&2; fail "step $step (curl exit $rc)"
    fi
    [ "${MK_VERBOSE:-0}" = 1 ] && cat "$WORK/$step.out"
    return 0
}
run list "${C[@]}" "$U/" --next "${C[@]}" "$U/" -X 'EXAMINE INBOX'
nfold=$(grep -c '^\* LIST' "$WORK/list.out")
grep -q "\"$FOLDER\"\$\| $FOLDER\$" <(tr -d '\r' < "$WORK/list.out") && have=1 || have=0
n=$(grep -E '^\* [0-9]+ EXISTS' "$WORK/list.out" | awk '{print $2}')
steps=()
if [ "${n:-0}" = 0 ]; then
    run seed "${C[@]}" -T "$WORK/msg.eml" "$U/INBOX"; n=1
fi
steps+=("${C[@]}" "$U/INBOX" -X 'FETCH 1:* (FLAGS UID RFC822.SIZE)')
for ((i = 1; i <= n && i <= 50; i++)); do
    steps+=(--next "${C[@]}" -o "$WORK/body.$i" "$U/INBOX;MAILINDEX=$i")
done
steps+=(--next "${C[@]}" "$U/INBOX" -X 'STORE 1 +FLAGS (\Seen)')
[ $have = 1 ] || steps+=(--next "${C[@]}" "$U/" -X "CREATE $FOLDER")
steps+=(--next "${C[@]}" -T "$WORK/msg.eml" "$U/$FOLDER")
run main "${steps[@]}"
got=$(grep -c '^\* [0-9]* FETCH' "$WORK/main.out")
[ "$got" = "$n" ] || fail "FETCH 1:* returned $got of $n"
for ((i = 1; i <= n && i <= 50; i++)); do [ -s "$WORK/body.$i" ] || fail "empty body for message $i"; done
run search "${C[@]}" "$U/$FOLDER" -X "SEARCH HEADER Message-ID \"$MID\""
ids=$(grep '^\* SEARCH' "$WORK/search.out" | tr -d '\r' | cut -d' ' -f3- | tr ' ' ',')
[ -n "$ids" ] || fail "appended message not found in $FOLDER"
run expunge "${C[@]}" "$U/$FOLDER" -X "STORE $ids +FLAGS (\\Deleted)" --next "${C[@]}" "$U/$FOLDER" -X EXPUNGE \
    --next "${C[@]}" "$U/" -X "STATUS $FOLDER (MESSAGES)" --next "${C[@]}" "$U/" -X "STATUS INBOX (MESSAGES UNSEEN)"
grep -q '^\* [0-9]* EXPUNGE' "$WORK/expunge.out" || fail "no EXPUNGE response"
ok "$nfold folders, INBOX $n msgs fetched, \\Seen set, APPEND+EXPUNGE in $FOLDER; $(grep 'STATUS INBOX' "$WORK/expunge.out" | tr -d '\r')"
