#!/usr/bin/env python3
"""Attributes a JFR recording's CPU samples to the stages of a W1 report (bench/profile-w1.sh).

Usage: stages.py recording.jfr  -> a Markdown table on stdout.

Each jdk.ExecutionSample (a thread found running Java code) is given to one stage: its thread first
(the group-commit writers, the events tail, the JIT and GC threads are their own), then its stack from
the top frame down: the first frame of the hub's own code that names a stage decides (generic helpers
such as uk.bookinghub.http.Json are passed over), else the first library frame that does (pgjdbc and
HikariCP: write; Jackson: parse; Vert.x / Netty: HTTP server; Camel: routing). GC is read from the
pause events (wall time, not samples). jdk.NativeMethodSample (threads waiting in native code) is not
CPU and is not counted.
"""
import collections
import re
import subprocess
import sys

# (stage, pattern on the frame's class.method) for the hub's own classes, checked in order per frame
OWN = [
    ("secret check", r"\.security\.Secrets\.|VapiWebhook\.authenticate|VapiSignature\."),
    ("parse", r"VapiWebhook\.parse|\.http\.JsonBodies\.|\.http\.ControlChars\.|\.http\.Upload\."),
    ("tenant match", r"\.clients\.TenantResolver\.|\.clients\.Clients?\w*\.by"),
    ("write (calls, facts)", r"\.calls\.CallStore\.|\.store\.BatchWriter\.|CallFacts|VapiWebhook\.recordEndOfCall"),
    ("after the write (dialler, follow-ups, failures, onboarding)", r"\.dialler\.|\.reminders\.FollowUps|VapiFailures|OnboardingTests"),
    ("analytics event (wire tap)", r"\.analytics\."),
    ("events (stream tail, announcer)", r"\.events\."),
    ("front door (catalog, auth, limits, audit)", r"\.api\.FrontDoor|\.api\.ApiCatalog|\.api\.ApiEndpoint|\.audit\.|\.limits\.|\.api\.Params"),
    ("reply", r"\.http\.JsonReply|endOfCallReply|\.http\.Reply"),
    ("metrics", r"\.metrics\."),
]
GENERIC = re.compile(r"uk\.bookinghub\.(http\.Json\.|store\.Database|store\.Dialect|Wiring)")
LIB = [
    ("write (calls, facts)", r"^org\.postgresql\.|^com\.zaxxer\.hikari\."),
    ("parse", r"^com\.fasterxml\.jackson\.core\.|^com\.fasterxml\.jackson\.databind\.deser"),
    ("reply", r"^com\.fasterxml\.jackson\.databind\.ser"),
    ("logging", r"^org\.slf4j\.|^ch\.qos\."),
    ("Camel routing", r"^org\.apache\.camel\."),
    ("HTTP server (Vert.x, Netty)", r"^io\.vertx\.|^io\.netty\."),
    ("metrics", r"^io\.micrometer\."),
]
THREADS = [
    ("write (calls, facts)", r"^hub-writer-(calls|call)"),
    ("analytics event (wire tap)", r"^hub-writer-analytics"),
    ("events (stream tail, announcer)", r"^hub-events"),
    ("JIT compiler", r"Compiler"),
]
ORDER = ["parse", "secret check", "front door (catalog, auth, limits, audit)", "tenant match", "write (calls, facts)",
         "after the write (dialler, follow-ups, failures, onboarding)", "analytics event (wire tap)", "events (stream tail, announcer)",
         "reply", "Camel routing", "HTTP server (Vert.x, Netty)", "logging", "metrics", "JIT compiler", "other"]


def stage_of(thread, frames):
    for name, pat in THREADS:
        if re.search(pat, thread):
            return name
    for f in frames:
        if f.startswith("uk.bookinghub.") and not GENERIC.search(f):
            for name, pat in OWN:
                if re.search(pat, f):
                    return name
    for f in frames:
        for name, pat in LIB:
            if re.search(pat, f):
                return name
    return "other"


def samples(path):
    out = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "256", path],
                         capture_output=True, text=True, check=True).stdout
    thread, frames, in_stack = "", [], False
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("jdk.ExecutionSample"):
            thread, frames, in_stack = "", [], False
        elif s.startswith("sampledThread"):
            m = re.search(r'"([^"]*)"', s)
            thread = m.group(1) if m else ""
        elif s.startswith("stackTrace = ["):
            in_stack = True
        elif in_stack and s == "]":
            in_stack = False
        elif in_stack and s and s != "...":
            frames.append(s.split("(")[0])
        elif s == "}" and frames:
            yield thread, frames
            frames = []


def gc(path):
    out = subprocess.run(["jfr", "summary", path], capture_output=True, text=True, check=True).stdout
    start = re.search(r"Start: (\S+ \S+)", out)
    dur = re.search(r"Duration: (\d+) s", out)
    text = subprocess.run(["jfr", "print", "--events", "jdk.GarbageCollection", path], capture_output=True, text=True, check=True).stdout
    pauses = [float(x) for x in re.findall(r"sumOfPauses = ([0-9.]+) ms", text)]
    return len(pauses), sum(pauses), int(dur.group(1)) if dur else 0


def main():
    path = sys.argv[1]
    counts = collections.Counter()
    top_other = collections.Counter()
    for thread, frames in samples(path):
        st = stage_of(thread, frames)
        counts[st] += 1
        if st == "other":
            top_other[frames[0]] += 1
    total = sum(counts.values()) or 1
    print("| stage (CPU samples of the hub's Java threads) | samples | share |")
    print("| --- | ---: | ---: |")
    for st in ORDER:
        if counts[st]:
            print(f"| {st} | {counts[st]:,} | {100.0 * counts[st] / total:.1f} % |")
    n, ms, secs = gc(path)
    print(f"| GC (pauses, wall time) | {n} collections | {ms:,.0f} ms in {secs} s = {100.0 * ms / (secs * 1000) if secs else 0:.1f} % |")
    print()
    print("top frames of 'other': " + ", ".join(f"{f} {c}" for f, c in top_other.most_common(6)))


if __name__ == "__main__":
    main()
