# Sourced by the benchmark scripts: who used the CPUs during a measured window (the machine is
# shared, 2 cores). Needs HUB_PID (and optionally STUB_PID) and CLK_TCK set by the caller.
CLK_TCK=${CLK_TCK:-$(getconf CLK_TCK)}
# CPU ticks of every process ("pid comm ticks"), to tell who used the CPUs while a pass ran (the machine is shared)
proc_snapshot() { # user processes only (kernel threads, children of kthreadd, are left out); comm may hold spaces
    # cat, not awk on the glob: a process that ends meanwhile (a poll's curl) would stop awk there
    cat /proc/[0-9]*/stat 2>/dev/null | awk '{ i = index($0, "("); j = 0; for (k = length($0); k > 0; k--) if (substr($0, k, 1) == ")") { j = k; break }
           c = substr($0, i + 1, j - i - 1); gsub(/[ \t]/, "_", c); n = split(substr($0, j + 2), f, " ")
           if (f[2] != 2 && $1 != 2) print $1, c, f[12] + f[13] }' || true
}
# two snapshots + ms between them -> "hub 1.02 postgres 0.61 stub 0.05 other 0.12 (java:4711 0.10 ...)" in cores
cpu_split() { # file before, file after, ms
    awk -v ms="$3" -v hz="$CLK_TCK" -v hub="$HUB_PID" -v stub="${STUB_PID:-}" -v self="$$" '
        FNR == NR { t0[$1] = $3; next }
        { d = $3 - (($1 in t0) ? t0[$1] : 0); if (d <= 0) next
          g = ($1 == hub) ? "hub" : ($1 == stub) ? "stub" : ($2 == "postgres") ? "postgres" : "other"
          c[g] += d; if (g == "other") o[$2 ":" $1] += d }
        END { k = hz * ms / 1000; if (k <= 0) k = 1
              printf "hub %.2f postgres %.2f stub %.2f other %.2f", c["hub"] / k, c["postgres"] / k, c["stub"] / k, c["other"] / k
              n = 0; for (x in o) if (o[x] / k >= 0.05) { printf "%s%s %.2f", (n++ ? ", " : " ("), x, o[x] / k }
              if (n) printf ")" }' "$1" "$2"
}
