#!/usr/bin/env python3
"""Slack incoming-webhook stand-in for bench/alerts.sh: every POST is answered 200 "ok" (as Slack
does) and appended to FILE as one JSON line {"at": epoch seconds, "text": the payload's text}.
GET / answers the number of messages received.

    slack_standin.py PORT FILE       (binds 127.0.0.1 only)
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, FILE = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
received = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global received
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            text = json.loads(raw).get("text", "")
        except ValueError:
            text = "(not JSON) " + raw[:200].decode("utf-8", "replace")
        with lock:
            received += 1
            with open(FILE, "a") as f:
                f.write(json.dumps({"at": time.time(), "text": text}) + "\n")
        self.reply(b"ok")

    def do_GET(self):
        self.reply(str(received).encode())

    def reply(self, payload):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
