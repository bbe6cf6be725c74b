#!/usr/bin/env python3
"""What a JFR recording's CPU samples spend their time in, frame by frame (bench/profile-w1.sh's .jfr).

Usage: frames.py recording.jfr|stacks.collapsed [pattern ...]
  (a .collapsed file is async-profiler's output, ASYNC_PROFILER= of bench/profile-w1.sh: one line per stack, root first)
  - the 25 hottest top frames (self time);
  - for each pattern (a regular expression on class.method), the share of samples with a matching frame anywhere
    in the stack (inclusive time); with no pattern, a set of the framework costs issue 19 looks at.
"""
import collections
import re
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from stages import samples  # noqa: E402

DEFAULT = [
    r"WireTapProcessor", r"MessageSupport\.copyFrom|DefaultMessage\.copy|copyExchange", r"bean\.BeanProcessor|AbstractBeanProcessor",
    r"bean\.MethodInfo|BeanInfo\.", r"language\.simple\.", r"EventNotifier|EventHelper\.notify",
    r"MicrometerRoutePolicy|micrometer\.", r"RouterImpl|RoutingContextImplBase\.iterateNext|RouteState\.matches",
    r"ChoiceProcessor", r"RedeliveryErrorHandler|ErrorHandler", r"CamelInternalProcessor", r"interceptor|Intercept",
    r"uk\.bookinghub\.api\.FrontDoor", r"uk\.bookinghub\.audit\.AuditDoor", r"uk\.bookinghub\.limits\.",
    r"VertxPlatformHttpConsumer|VertxPlatformHttpSupport", r"DefaultHeaderFilterStrategy|HeaderFilterStrategy",
    r"org\.apache\.camel\.support\.ExchangeHelper|DefaultExchange\.<init>|ExtendedExchange", r"TypeConverter|typeconverter",
    r"uk\.bookinghub\.http\.JsonReply", r"jackson", r"org\.postgresql", r"hikari",
]


JDK = re.compile(r"^(java|javax|jdk|sun)\.")


def collapsed(path):
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            frames = [x.replace("/", ".").removesuffix("_[j]").removesuffix("_[i]").removesuffix("_[0]").removesuffix("_[1]")
                      for x in reversed(stack.split(";"))]
            for _ in range(int(n)):
                yield "", frames


def main():
    path = sys.argv[1]
    pats = [re.compile(p) for p in (sys.argv[2:] or DEFAULT)]
    top, incl, lib, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
    for thread, frames in (collapsed(path) if path.endswith(".collapsed") else samples(path)):
        if "Compiler" in thread:
            continue
        total += 1
        top[frames[0]] += 1
        own = next((f for f in frames if not JDK.match(f)), frames[0])
        lib[own] += 1
        for p in pats:
            if any(p.search(f) for f in frames):
                incl[p.pattern] += 1
    total = total or 1
    print(f"{total:,} samples (JIT compiler threads left out)\n\nhottest top frames:")
    for f, c in top.most_common(25):
        print(f"  {100.0 * c / total:5.1f} %  {f}")
    print("\nhottest first frames outside the JDK (a library's or the hub's own method with the JDK calls it makes):")
    for f, c in lib.most_common(40):
        print(f"  {100.0 * c / total:5.1f} %  {f}")
    print("\ninclusive:")
    for p in pats:
        print(f"  {100.0 * incl[p.pattern] / total:5.1f} %  {p.pattern}")


if __name__ == "__main__":
    main()
