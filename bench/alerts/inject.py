#!/usr/bin/env python3
"""Error injector for bench/alerts.sh: TOTAL Vapi end-of-call reports whose endedReason is an error
kind ("pipeline-error-bench-<cause>", CAUSES causes taking turns), POSTed to the hub's real webhook
(POST /webhooks/vapi with X-Vapi-Secret) at an even RATE per second over THREADS kept-alive
connections, each call a new id for tenant acme. The hub stores each report and records it in the
error log (service vapi), which is the error path under test. Prints one JSON line:
{"sent":..,"ok":..,"non2xx":..,"failed":..,"seconds":..,"rate":..,"causes":[..]}.

    inject.py URL SECRET TOTAL RATE CAUSES [THREADS=4] [REASON=pipeline-error-bench-]   (loopback URLs only)

REASON is the endedReason prefix; "customer-ended-call-" sends the same reports as no error (a control run:
the same requests without the error path).
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid

LETTERS = "ghjklmnpqrstvwxz"  # no hex digits, no digits: the fingerprint keeps the whole cause word


def cause_words(n):
    words = [a + b + c for a in LETTERS for b in LETTERS for c in LETTERS]
    return words[:n]


def body(call_id, reason):
    return json.dumps({"message": {
        "type": "end-of-call-report", "endedReason": reason,
        "call": {"id": call_id, "type": "outboundPhoneCall", "customer": {"number": "+447700900123"},
                 "assistantOverrides": {"variableValues": {"clientKey": "acme"}},
                 "metadata": {"clientKey": "acme"}},
        "startedAt": "2026-12-01T10:00:00.000Z", "endedAt": "2026-12-01T10:00:05.000Z",
        "durationSeconds": 5.0, "cost": 0.01}}).encode()


def main():
    url, secret, total, rate, causes = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    reason = sys.argv[7] if len(sys.argv) > 7 else "pipeline-error-bench-"
    u = urllib.parse.urlparse(url)
    if u.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("loopback only")
    words = cause_words(causes)
    counts = {"ok": 0, "non2xx": 0, "failed": 0}
    lock = threading.Lock()
    t0 = time.monotonic() + 0.2

    def worker(k):
        conn = None
        for i in range(k, total, threads):
            due = t0 + i / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            data = body(str(uuid.uuid4()), reason + words[i % causes])
            outcome = "failed"
            for _ in range(2):  # one reconnect when a kept-alive connection was closed
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                    conn.request("POST", u.path, data, {"Content-Type": "application/json", "X-Vapi-Secret": secret})
                    r = conn.getresponse()
                    r.read()
                    outcome = "ok" if 200 <= r.status < 300 else "non2xx"
                    break
                except (OSError, http.client.HTTPException):
                    conn = None
            with lock:
                counts[outcome] += 1

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    seconds = time.monotonic() - t0
    print(json.dumps({"sent": total, **counts, "seconds": round(seconds, 1), "rate": round(total / seconds, 1),
                      "causes": [reason + w for w in words]}))


if __name__ == "__main__":
    main()
