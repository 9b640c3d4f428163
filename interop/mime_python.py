#!/usr/bin/env python3
"""Parse a message with Python's email package and print its structure as
JSON (used by mime_test.go). Usage: mime_python.py FILE"""
import email
import email.policy
import hashlib
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)

parts = []
for part in msg.walk():
    entry = {
        "type": part.get_content_type(),
        "filename": part.get_filename(),
        "cid": (part.get("Content-ID") or "").strip("<>") or None,
        "defects": [type(d).__name__ for d in part.defects],
    }
    if not part.is_multipart():
        payload = part.get_payload(decode=True) or b""
        if part.get_content_maintype() == "text":
            entry["text"] = part.get_content()
        entry["sha256"] = hashlib.sha256(payload).hexdigest()
    parts.append(entry)

print(json.dumps({
    "subject": str(msg["Subject"]),
    "from": [{"name": a.display_name, "addr": a.addr_spec} for a in msg["From"].addresses],
    "to": [{"name": a.display_name, "addr": a.addr_spec} for a in msg["To"].addresses],
    "date": str(msg["Date"]),
    "message_id": str(msg["Message-ID"]),
    "defects": [type(d).__name__ for d in msg.defects],
    "parts": parts,
}))
