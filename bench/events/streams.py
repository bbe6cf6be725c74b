#!/usr/bin/env python3
"""Stream client for bench/events.sh: opens STREAMS server-sent event streams (GET /api/events) spread
evenly over the clients in CLIENTS_FILE ({"clientKey": "apiKey", ...}) and over the hub instances in
BASES (comma-separated http://127.0.0.1:PORT), each with a fresh ticket (POST /api/events/ticket); once
all are open it touches READY_FILE and sends probe end-of-call reports (POST /webhooks/vapi on the first
base, X-Vapi-Secret) at PROBE_RATE a second, the clients taking turns, until STOP_FILE appears; then it
waits GRACE seconds for the last events and prints one JSON line:

  {"streams": .., "opened": .., "refused": {...}, "probes": .., "probeErrors": ..,
   "received": .., "expected": .., "missing": .., "duplicates": .., "outOfOrder": .., "otherEvents": ..,
   "commitToReceiveMs": {"p50": .., "p95": .., "p99": .., "max": .., "n": ..},
   "sendToReceiveMs": {...}, "crossInstanceCommitToReceiveMs": {...}, "endedByServer": ..}

commit-to-receive: the event's "at" (the events row's clock_timestamp() at insert, in the probe's own
transaction, milliseconds) to the moment this client read it; send-to-receive: the probe POST's start
to the read. Every probe event must reach every stream of its client once, in id order.

    streams.py BASES CLIENTS_FILE STREAMS SECRET PROBE_RATE READY_FILE STOP_FILE [GRACE=5]   (loopback only)
"""
import asyncio
import datetime
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))  # nearest rank
    return round(s[k], 1)


def summary(values):
    return {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": round(max(values), 1) if values else None, "n": len(values)}


def iso_ms(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000.0


class Stream:
    def __init__(self, idx, client, base):
        self.idx, self.client, self.base = idx, client, base
        self.last_id = -1
        self.seen = set()
        self.duplicates = 0
        self.out_of_order = 0
        self.ended = False


async def http_request(host, port, method, path, headers, body=b""):
    reader, writer = await asyncio.open_connection(host, port)
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    head, _, payload = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while payload:
            size, _, rest = payload.partition(b"\r\n")
            n = int(size.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            out += rest[:n]
            payload = rest[n + 2:]
        payload = out
    return status, payload


async def read_chunked_lines(reader):
    """Yields the decoded body of a chunked response as it arrives."""
    while True:
        size_line = await reader.readline()
        if not size_line:
            return
        size_line = size_line.strip()
        if not size_line:
            continue
        n = int(size_line.split(b";")[0], 16)
        if n == 0:
            return
        chunk = await reader.readexactly(n)
        await reader.readline()
        yield chunk


async def run_stream(s, api_key, sent_at, results, opened, refused):
    u = urllib.parse.urlparse(s.base)
    st, body = await http_request(u.hostname, u.port, "POST", "/api/events/ticket", {"X-API-Key": api_key})
    if st != 201:
        refused[f"ticket {st}"] = refused.get(f"ticket {st}", 0) + 1
        return
    ticket = json.loads(body)["ticket"]
    reader, writer = await asyncio.open_connection(u.hostname, u.port, limit=1 << 20)
    writer.write(f"GET /api/events?ticket={ticket} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split(b" ", 2)[1])
    while (await reader.readline()).strip():
        pass
    if status != 200:
        refused[str(status)] = refused.get(str(status), 0) + 1
        writer.close()
        return
    opened.append(s)
    buf = b""
    try:
        async for chunk in read_chunked_lines(reader):
            now = time.time() * 1000.0
            buf += chunk
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                eid, data = None, None
                for line in block.split(b"\n"):
                    if line.startswith(b"id: "):
                        eid = int(line[4:])
                    elif line.startswith(b"data: "):
                        data = line[6:]
                if eid is None or data is None:
                    continue
                if eid in s.seen:
                    s.duplicates += 1
                    continue
                if eid <= s.last_id:
                    s.out_of_order += 1
                s.seen.add(eid)
                s.last_id = max(s.last_id, eid)
                env = json.loads(data)
                call = (env.get("data") or {}).get("vapiCallId") or ""
                if env.get("type") == "call_ended" and call.startswith("evb-"):
                    results.append((s.idx, s.client, call, now - iso_ms(env["at"]), now - sent_at.get(call, now), s.base))
                else:
                    results.append((s.idx, s.client, None, None, None, s.base))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    s.ended = True


def probe_body(call_id, client):
    return json.dumps({"message": {
        "type": "end-of-call-report", "endedReason": "customer-ended-call",
        "call": {"id": call_id, "type": "outboundPhoneCall", "customer": {"number": "+447700900123"},
                 "assistantOverrides": {"variableValues": {"clientKey": client}}},
        "startedAt": "2026-12-01T10:00:00.000Z", "endedAt": "2026-12-01T10:00:05.000Z",
        "durationSeconds": 5.0, "cost": 0.01}}).encode()


def prober(base, secret, rate, clients, stop_file, sent_at, sent_by_client, counters):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    seq = 0
    start = time.time()
    while not os.path.exists(stop_file):
        client = clients[seq % len(clients)]
        call = f"evb-{os.getpid()}-{seq}"
        due = start + seq / rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        sent_at[call] = time.time() * 1000.0
        try:
            conn.request("POST", "/webhooks/vapi", probe_body(call, client), {"Content-Type": "application/json", "X-Vapi-Secret": secret})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                sent_by_client[client] = sent_by_client.get(client, 0) + 1
                counters["probes"] += 1
            else:
                counters["probeErrors"] += 1
        except (OSError, http.client.HTTPException):
            counters["probeErrors"] += 1
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        seq += 1


async def main():
    bases = sys.argv[1].split(",")
    clients_map = json.load(open(sys.argv[2]))
    total, secret, rate = int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    ready_file, stop_file = sys.argv[6], sys.argv[7]
    grace = float(sys.argv[8]) if len(sys.argv) > 8 else 5.0
    for b in bases:
        if not (b.startswith("http://127.") or b.startswith("http://localhost")):
            sys.exit("loopback only")
    clients = sorted(clients_map)
    streams = [Stream(i, clients[i % len(clients)], bases[(i // len(clients)) % len(bases)]) for i in range(total)]
    results, opened, refused, sent_at = [], [], {}, {}
    tasks = []
    for i in range(0, total, 50):  # tickets and opens in waves of 50
        for s in streams[i:i + 50]:
            tasks.append(asyncio.ensure_future(run_stream(s, clients_map[s.client], sent_at, results, opened, refused)))
        await asyncio.sleep(0.05)
    deadline = time.time() + 120
    while len(opened) + sum(refused.values()) < total and time.time() < deadline:
        await asyncio.sleep(0.1)
    open(ready_file, "w").write(str(len(opened)))
    sent_by_client, counters = {}, {"probes": 0, "probeErrors": 0}
    t = threading.Thread(target=prober, args=(bases[0], secret, rate, clients, stop_file, sent_at, sent_by_client, counters), daemon=True)
    t.start()
    while t.is_alive():
        await asyncio.sleep(0.2)
    await asyncio.sleep(grace)
    per_stream = {}
    for idx, client, call, c2r, s2r, base in results:
        if call:
            per_stream[idx] = per_stream.get(idx, 0) + 1
    expected = sum(sent_by_client.get(s.client, 0) for s in opened)
    received = sum(per_stream.values())
    c2r = [r[3] for r in results if r[2]]
    s2r = [r[4] for r in results if r[2]]
    cross = [r[3] for r in results if r[2] and r[5] != bases[0]]
    print(json.dumps({
        "streams": total, "opened": len(opened), "refused": refused, "probes": counters["probes"], "probeErrors": counters["probeErrors"],
        "received": received, "expected": expected, "missing": expected - received,
        "duplicates": sum(s.duplicates for s in streams), "outOfOrder": sum(s.out_of_order for s in streams),
        "otherEvents": sum(1 for r in results if not r[2]),
        "commitToReceiveMs": summary(c2r), "sendToReceiveMs": summary(s2r),
        "crossInstanceCommitToReceiveMs": summary(cross) if len(bases) > 1 else None,
        "endedByServer": sum(1 for s in opened if s.ended)}))
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
