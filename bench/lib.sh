# Sourced by the benchmark scripts (right after REPO is set): the helpers they all use. Processes are
# stopped by the PID the script started, never by name. psql_q needs the caller's PGH array.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
psql_q() { PGOPTIONS='-c client_min_messages=warning' psql "${PGH[@]}" -X -qtA -v ON_ERROR_STOP=1 "$@"; }
sleep_ms() { (( $1 > 0 )) && sleep "$(printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )))" || true; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
stop_pid() { # pid, seconds to wait after TERM
    local pid=$1 wait_s=${2:-10} i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait_s * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # first free port from $1 upwards, skipping ones already chosen ($2...)
    local p=$1; shift
    while port_busy "$p" || [[ " $* " == *" $p "* ]]; do p=$((p + 1)); done
    echo "$p"
}
wait_http_200() { # url, timeout seconds, pid that must stay alive (returns 2 when it died, 1 on timeout)
    local url=$1 deadline=$(( $(now_ms) + $2 * 1000 )) pid=$3
    while (( $(now_ms) < deadline )); do
        kill -0 "$pid" 2>/dev/null || return 2
        [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}
