# Sourced by the benchmarks: the hub is started as the README starts it, so every benchmark measures the
# hub people run ("The two commands": bin/hub, the launcher that picks the Java runtime, the GC and the
# class-data archive). Sets README_START (the README's command, as the report prints it) and HUB_LAUNCH
# (the launcher's path); a benchmark starts a hub with
#     HUB_JAR=<its copy of the jar> HUB_JVM_OPTS="$HUB_EXTRA_OPTS" "$HUB_LAUNCH"
# HUB_JAVA and HUB_JVM_OPTS from the caller's shell are refused: change bin/hub (or the README) and every
# benchmark follows. HUB_EXTRA_OPTS: JVM options added for an experiment or a profile (a JFR recording, GC
# logging, a -D key); the report prints them. The figures in BENCHMARKS.md are taken without.
# Needs: REPO (the checkout).
[ -z "${HUB_JAVA_OPTS:-}${HUB_JAVA:-}${HUB_JVM_OPTS:-}" ] || { echo "HUB_JAVA_OPTS, HUB_JAVA and HUB_JVM_OPTS are not taken: the benchmarks start the hub as the README says (bin/hub)" >&2; exit 2; }
README_START=$(awk '/^## The two commands/ {on = 1; next} /^## / {on = 0} on && /^    .*bin\/hub *$/ {print; exit}' "$REPO/README.md")
[ -n "$README_START" ] || { echo "no 'bin/hub' command in the README's 'The two commands'" >&2; exit 1; }
README_START=$(sed -E 's/^ +//; s/.*&& *//; s/ +$//' <<<"$README_START")
[ "$README_START" = bin/hub ] || { echo "the README starts the hub with '$README_START', not bin/hub" >&2; exit 1; }
HUB_LAUNCH="$REPO/bin/hub"
# the profile and reload come from the README's defaults too: a caller's shell must not change them
unset CAMEL_MAIN_PROFILE HUB_ROUTES_RELOAD JAVA_TOOL_OPTIONS HUB_CDS_ARCHIVE HUB_JMX_MBEANS
# BENCH_JAVA: an experiment only, the java the launcher runs instead of the one it picks (e.g. Java 17 against the
# launcher's choice); the reports say so
if [ -n "${BENCH_JAVA:-}" ]; then
    export HUB_JAVA="$BENCH_JAVA"
fi
# what the launcher runs on this machine, for the reports
README_START="bin/hub = $(HUB_LAUNCH_DRY_RUN=1 HUB_JVM_OPTS="${HUB_EXTRA_OPTS:-}" "$HUB_LAUNCH" | sed -E 's/ -jar .*//')${HUB_EXTRA_OPTS:+ (HUB_EXTRA_OPTS=$HUB_EXTRA_OPTS)}${BENCH_JAVA:+ (experiment: BENCH_JAVA=$BENCH_JAVA)}"
# the java binary the launcher picks here (for the reports' "java <version>")
HUB_JAVA_BIN=$(HUB_LAUNCH_DRY_RUN=1 "$HUB_LAUNCH" | cut -d' ' -f1)
