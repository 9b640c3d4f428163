#!/usr/bin/env bash
# POP3 session with python poplib: [STLS | POP3_SSL], CAPA, USER/PASS, STAT, LIST, UIDL, RETR (every
# message, max 50), TOP 1 0, NOOP, DELE 1 (only the first message; MK_POP3_DELE=0 to skip), QUIT.
# Fails on an empty maildrop unless MK_POP3_ALLOW_EMPTY=1.
#   pop3-python.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
"$MK_PY" - <<'PY'
import os, poplib, ssl, sys
H, P, U, PW, T = os.environ["HOST"], int(os.environ["PORT"]), os.environ["USER_"], os.environ["PASS_"], os.environ["TLS"]
def ctx():
    return ssl.create_default_context(cafile=os.environ["MK_CA"]) if os.environ["MK_TLS_VERIFY"] == "1" else ssl._create_unverified_context()
try:
    if T == "implicit":
        M = poplib.POP3_SSL(H, P, context=ctx(), timeout=30)
    else:
        M = poplib.POP3(H, P, timeout=30)
        if T == "starttls":
            M.stls(context=ctx())
    if os.environ.get("MK_VERBOSE") == "1": M.set_debuglevel(1)
    caps = M.capa()
    M.user(U); M.pass_(PW)
    count, size = M.stat()
    resp, listing, _ = M.list()
    if len(listing) != count: raise RuntimeError(f"LIST has {len(listing)} entries, STAT says {count}")
    resp, uidls, _ = M.uidl()
    if len(uidls) != count: raise RuntimeError(f"UIDL has {len(uidls)} entries, STAT says {count}")
    total = 0
    for i in range(1, min(count, 50) + 1):
        resp, lines, octets = M.retr(i)
        if not resp.startswith(b"+OK"): raise RuntimeError(f"RETR {i}: {resp}")
        total += octets
    if count:
        M.top(1, 0)
    M.noop()
    deleted = 0
    if count and os.environ.get("MK_POP3_DELE", "1") == "1":
        M.dele(1); deleted = 1
    M.quit()
    if count == 0 and os.environ.get("MK_POP3_ALLOW_EMPTY") != "1":
        raise RuntimeError("maildrop is empty (send mail first, or set MK_POP3_ALLOW_EMPTY=1)")
except (poplib.error_proto, OSError, RuntimeError) as e:
    print(f"[pop3-python] FAIL: {type(e).__name__}: {e}", file=sys.stderr); sys.exit(1)
print(f"[pop3-python] OK: STAT {count} {size}, LIST/UIDL {count} entries, RETR {min(count,50)} msgs ({total} octets), DELE {deleted}")
PY
