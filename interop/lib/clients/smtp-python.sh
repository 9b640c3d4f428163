#!/usr/bin/env bash
# SMTP session with python smtplib: EHLO, [STARTTLS | SMTP_SSL], EHLO, [AUTH], NOOP, MAIL/RCPT/DATA of a
# multipart EmailMessage (with attachment, UTF-8), RSET, a 2nd message, QUIT.
#   smtp-python.sh HOST PORT USER PASS none|starttls|implicit
. "$(dirname "$0")/common.sh"
FROM=${MK_FROM:-${USER_:-alice@example.test}}; [[ $FROM == *@* ]] || FROM="$FROM@$MK_DOMAIN"
export FROM TO=${MK_TO:-bob@example.test}
"$MK_PY" - <<'PY'
import os, ssl, smtplib, sys
from email.message import EmailMessage
from email.utils import make_msgid, formatdate
H, P, U, PW, T = os.environ["HOST"], int(os.environ["PORT"]), os.environ["USER_"], os.environ["PASS_"], os.environ["TLS"]
rcpts = os.environ["TO"].split(",")
def ctx():
    c = ssl.create_default_context(cafile=os.environ["MK_CA"]) if os.environ["MK_TLS_VERIFY"] == "1" else ssl._create_unverified_context()
    return c
def msg(n):
    m = EmailMessage()
    m["From"] = os.environ["FROM"]; m["To"] = ", ".join(rcpts)
    m["Subject"] = f"smtplib multipart test {n} – ünïcode"; m["Date"] = formatdate(); m["Message-ID"] = make_msgid(domain="client.example.test")
    m.set_content("Hello from smtplib.\n.leading dot\nGrüße\n")
    m.add_alternative("<p>Hello from <b>smtplib</b></p>", subtype="html")
    m.add_attachment(os.urandom(4000), maintype="application", subtype="octet-stream", filename="data.bin")
    return m
try:
    if T == "implicit":
        s = smtplib.SMTP_SSL(H, P, local_hostname="client.example.test", timeout=30, context=ctx())
    else:
        s = smtplib.SMTP(H, P, local_hostname="client.example.test", timeout=30)
    if os.environ.get("MK_VERBOSE") == "1": s.set_debuglevel(1)
    s.ehlo()
    if T == "starttls":
        if not s.has_extn("starttls"): raise SystemExit("server does not offer STARTTLS")
        s.starttls(context=ctx()); s.ehlo()
    if U:
        s.login(U, PW)
    code, _ = s.noop()
    assert code == 250, code
    refused = s.send_message(msg(1), to_addrs=rcpts)
    if refused: raise SystemExit(f"refused: {refused}")
    s.rset()
    refused = s.send_message(msg(2), to_addrs=rcpts)
    if refused: raise SystemExit(f"refused: {refused}")
    s.quit()
except (smtplib.SMTPException, OSError, AssertionError) as e:
    print(f"[smtp-python] FAIL: {type(e).__name__}: {e}", file=sys.stderr); sys.exit(1)
print(f"[smtp-python] OK: 2 messages to {rcpts} via {T} {'auth '+U if U else 'no auth'}")
PY
