# Sourced by the benchmarks: the hub's JVM options as the README starts it, so every benchmark
# measures the hub people run ("The two commands": java <options> -jar target/booking-hub.jar).
# Sets README_START (the command) and HUB_JAVA_OPTS (its options). HUB_JAVA_OPTS from the
# environment is refused: change the README's command and every benchmark follows. Observation-only
# JVM flags (GC logging) may be added by a script; nothing that changes how the hub runs.
# Needs: REPO (the checkout).
[ -z "${HUB_JAVA_OPTS:-}" ] || { echo "HUB_JAVA_OPTS is gone: the benchmarks start the hub as the README says (edit the README's command)" >&2; exit 2; }
README_START=$(awk '/^## The two commands/ {on = 1; next} /^## / {on = 0} on && /^    .*java .*-jar target\/booking-hub\.jar *$/ {print; exit}' "$REPO/README.md")
[ -n "$README_START" ] || { echo "no 'java ... -jar target/booking-hub.jar' command in the README's 'The two commands'" >&2; exit 1; }
README_START=$(sed -E 's/^ +//; s/.*&& *//' <<<"$README_START")
HUB_JAVA_OPTS=$(sed -E 's/^java (.*)-jar target\/booking-hub\.jar *$/\1/; s/^java -jar.*$//; s/ +$//' <<<"$README_START")
# the profile and reload come from the README's defaults too: a caller's shell must not change them
unset CAMEL_MAIN_PROFILE HUB_ROUTES_RELOAD JAVA_TOOL_OPTIONS
# HUB_EXTRA_OPTS: JVM options added for an experiment or a profile (a JFR recording, a -D key); the
# report prints the start command with them. The figures in BENCHMARKS.md are taken without.
HUB_JAVA_OPTS="$HUB_JAVA_OPTS${HUB_EXTRA_OPTS:+ $HUB_EXTRA_OPTS}"
README_START="$README_START${HUB_EXTRA_OPTS:+ (plus HUB_EXTRA_OPTS=$HUB_EXTRA_OPTS)}"
