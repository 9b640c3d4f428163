#!/usr/bin/env bash
# IMAP session with python imaplib: [STARTTLS | IMAP4_SSL], CAPABILITY, LOGIN, LIST, SELECT INBOX,
# FETCH 1:* (FLAGS UID RFC822.SIZE BODY.PEEK[]), STORE +FLAGS (\Seen), CREATE folder, APPEND (multipart),
# SELECT folder, SEARCH, STORE +FLAGS (\Deleted), EXPUNGE, STATUS, LOGOUT.
# An empty INBOX gets one APPENDed message first so FETCH has something to do.
#   imap-python.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
make_message "$USER_" "$USER_" "imaplib append test" > "$WORK/msg.eml"
export MSGFILE="$WORK/msg.eml" FOLDER="${MK_FOLDER:-MailkitTest-imap-python}"
"$MK_PY" - <<'PY'
import imaplib, os, ssl, sys, re
H, P, U, PW, T = os.environ["HOST"], int(os.environ["PORT"]), os.environ["USER_"], os.environ["PASS_"], os.environ["TLS"]
folder = os.environ["FOLDER"]
msg = open(os.environ["MSGFILE"], "rb").read()
mid = re.search(rb"Message-ID: (<[^>]+>)", msg).group(1).decode()
def ctx():
    return ssl.create_default_context(cafile=os.environ["MK_CA"]) if os.environ["MK_TLS_VERIFY"] == "1" else ssl._create_unverified_context()
def ok(r, what):
    typ, data = r
    if typ != "OK": raise RuntimeError(f"{what}: {typ} {data}")
    return data
try:
    if T == "implicit":
        M = imaplib.IMAP4_SSL(H, P, ssl_context=ctx(), timeout=30)
    else:
        M = imaplib.IMAP4(H, P, timeout=30)
        if T == "starttls":
            ok(M.starttls(ssl_context=ctx()), "STARTTLS")
    if os.environ.get("MK_VERBOSE") == "1": M.debug = 4
    ok(M.capability(), "CAPABILITY")
    ok(M.login(U, PW), "LOGIN")
    boxes = ok(M.list(), "LIST")
    names = [b.decode() for b in boxes if b]
    n = int(ok(M.select("INBOX"), "SELECT INBOX")[0])
    if n == 0:
        ok(M.append("INBOX", None, None, msg), "APPEND INBOX (seed)")
        n = int(ok(M.select("INBOX"), "SELECT INBOX")[0])
    data = ok(M.fetch("1:*", "(FLAGS UID RFC822.SIZE BODY.PEEK[])"), "FETCH 1:*")
    fetched = sum(1 for d in data if isinstance(d, tuple))
    if fetched != n: raise RuntimeError(f"FETCH returned {fetched} of {n} messages")
    ok(M.store("1", "+FLAGS", "(\\Seen)"), "STORE +FLAGS \\Seen")
    flags = ok(M.fetch("1", "(FLAGS)"), "FETCH FLAGS")[0].decode()
    if "\\Seen" not in flags: raise RuntimeError(f"\\Seen not set: {flags}")
    typ, d = M.create(folder)           # NO if it already exists: fine
    ok(M.subscribe(folder), "SUBSCRIBE")
    ok(M.append(folder, "(\\Flagged)", imaplib.Time2Internaldate(__import__("time").time()), msg), f"APPEND {folder}")
    cnt = int(ok(M.select(folder), f"SELECT {folder}")[0])
    hits = ok(M.search(None, "HEADER", "Message-ID", mid), "SEARCH")[0].split()
    if not hits: raise RuntimeError("appended message not found by SEARCH")
    ok(M.store(b",".join(hits).decode(), "+FLAGS", "(\\Deleted)"), "STORE +FLAGS \\Deleted")
    ok(M.expunge(), "EXPUNGE")
    left = int(ok(M.select(folder), f"SELECT {folder}")[0])
    if left != cnt - len(hits): raise RuntimeError(f"EXPUNGE left {left}, expected {cnt-len(hits)}")
    st = ok(M.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)"), "STATUS")[0].decode()
    M.close(); M.logout()
except (imaplib.IMAP4.error, OSError, RuntimeError, ValueError) as e:
    print(f"[imap-python] FAIL: {type(e).__name__}: {e}", file=sys.stderr); sys.exit(1)
print(f"[imap-python] OK: {len(names)} folders, INBOX {n} msgs fetched, \\Seen set, APPEND+EXPUNGE in {folder}; {st}")
PY
