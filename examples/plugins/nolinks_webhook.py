#!/usr/bin/env python3
"""A webhook plugin in Python (docs/plugins.md): refuses posts with links from non-moderators and
greets a user's first request in a room with a DM from the plugin's bot. Standard library only.

    python3 nolinks_webhook.py PORT SECRET
    # PLUGINS_DIR/nolinks.json:
    # {"enabled": true, "webhook": "http://127.0.0.1:PORT/", "secret": "SECRET",
    #  "bot": "greeter", "permissions": ["dm"], "events": ["before-post", "first-request-in-room"]}
"""
import hashlib
import hmac
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, SECRET = int(sys.argv[1]), sys.argv[2].encode()
WINDOW = 300  # seconds of clock difference accepted, as the server's PLUGIN_SIGNATURE_WINDOW


def signature(timestamp: str, body: bytes) -> str:
    return "v1=" + hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verified(headers, body: bytes) -> bool:
    ts = headers.get("X-SCS-Timestamp", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > WINDOW:
        return False
    return hmac.compare_digest(signature(ts, body), headers.get("X-SCS-Signature", ""))


def answer(event: dict):
    if event["type"] == "before-post":
        if not event["moderator"] and re.search(r"https?://", event.get("text") or "", re.I):
            return {"decision": "refuse", "reason": "Links are not allowed here"}
        return {"decision": "allow"}
    if event["type"] == "first-request-in-room":
        return {"actions": [{"action": "dm", "to": event["user"], "text": f"Welcome to {event['room']}!"}]}
    return None


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(self.headers, body):
            self.send_response(401)
            self.end_headers()
            return
        reply = answer(json.loads(body))
        out = b"" if reply is None else json.dumps(reply).encode()
        ts = str(int(time.time()))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        if out:
            self.send_header("X-SCS-Timestamp", ts)
            self.send_header("X-SCS-Signature", signature(ts, out))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    print("listening", flush=True)
    ThreadingHTTPServer(("127.0.0.1", PORT), Hook).serve_forever()
