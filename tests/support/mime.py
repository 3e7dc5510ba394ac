"""Parses one .eml with Python's standard email package (an independent MIME parser) and prints
its structure as JSON for the Rust email tests."""
import email, email.policy, hashlib, json, sys

msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
parts = []
for p in msg.walk():
    entry = {"type": p.get_content_type(), "depth": 0}
    if p.get("Content-ID"):
        entry["cid"] = p["Content-ID"]
    if p.get_filename():
        entry["filename"] = p.get_filename()
    entry["disposition"] = p.get_content_disposition()
    if not p.is_multipart():
        if p.get_content_maintype() == "text":
            entry["text"] = p.get_content()
        else:
            entry["sha256"] = hashlib.sha256(p.get_payload(decode=True)).hexdigest()
    parts.append(entry)
print(json.dumps({
    "subject": str(msg["Subject"]),
    "message_id": str(msg["Message-ID"]),
    "from": str(msg["From"]),
    "to": str(msg["To"]),
    "date": str(msg["Date"]),
    "dkim": str(msg["DKIM-Signature"] or ""),
    "auto_submitted": str(msg["Auto-Submitted"] or ""),
    "structure": [p.get_content_type() for p in msg.walk()],
    "parts": parts,
}))
