#!/usr/bin/env bash
# bench_dns_compare.sh DATADIR [SECONDS] [RUNS] [QUERYFILES...]: repd vs rbldnsd on the same
# data (../shared/bench/dnsbl/gen_data.py output), side by side in one session. Each server
# is pinned to core 0, dnsperf (bench_dns.sh) to core 1; every run is bounded in time.
# Prints one line per server and query file (median QPS of RUNS, queries answered per second
# of the server's own CPU time, p99 estimate, RSS) and the repd/rbldnsd ratios. The second
# ratio is the per-core one when dnsperf, not the server, is the bottleneck; or set
# SERVER_CPU_PERCENT (below) to make the server the bottleneck.
#
# repd side: REPD_SERVE="build/repd serve --data-dir D --dns-listen 127.0.0.1:5301 --threads 1"
# if set (data loaded before with `repd import --format rbldnsd DATADIR/ip4.rbl
# DATADIR/dom.rbl`), else build/tests/dnsbl/dns_file_server (the DnsServer fed from the same
# rbldnsd files). rbldnsd listens on 5300, repd on 5301.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:?usage: bench_dns_compare.sh DATADIR [SECONDS] [RUNS] [QUERYFILES...]}
secs=${2:-8}
runs=${3:-3}
shift $(( $# >= 3 ? 3 : $# ))
queries=("$@")
[ ${#queries[@]} -gt 0 ] || queries=(q_mix.txt q_ip_a.txt q_ip_txt.txt q_dom_a.txt)
bench=${REPD_SHARED_DIR:-$here/../shared}/bench/dnsbl/bench_dns.sh
port_rbl=5300 port_repd=5301
server_life=$(( (secs + 3) * runs * ${#queries[@]} + 60 ))

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
wait_up() {  # PORT: until the server answers (at most 60 s)
  for _ in $(seq 600); do
    # Any answer will do: rbldnsd's data has no RFC 5782 test point.
    dig @127.0.0.1 -p "$1" +time=1 +tries=1 2.0.0.127.bl.repd.test A 2>/dev/null \
      | grep -q "status: " && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2; return 1
}
server_pid() {  # the server under `timeout` (RSS is the child's)
  local c; c=$(pgrep -P "$1" | head -1); echo "${c:-$1}"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, 1/100 s
measure() {  # NAME PORT QUERYFILE PID: median QPS, and queries per second of server CPU
  local name=$1 port=$2 q=$3 pid=$4 qps=() per_cpu=() t0 line
  for _ in $(seq "$runs"); do
    t0=$(cpu_ticks "$pid")
    line=$(taskset -c 1 "$bench" 127.0.0.1 "$port" "$data/$q" "$secs" 4)
    qps+=("$(sed -E 's/.*qps=([0-9.]+).*/\1/' <<<"$line")")
    per_cpu+=("$(awk -v c="$(sed -E 's/.*completed=([0-9]+).*/\1/' <<<"$line")" \
                    -v t="$(( $(cpu_ticks "$pid") - t0 ))" 'BEGIN{printf "%.0f", t ? c*100/t : 0}')")
    last=$line
  done
  median=$(printf '%s\n' "${qps[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  cpu_median=$(printf '%s\n' "${per_cpu[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  # p99 from a separate short verbose run (dnsperf -v prints each query's latency).
  p99=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$data/$q" -l 2 -c 4 -q 1000 -t 2 -v \
        2>/dev/null | awk '/^> /{print $NF}' | sort -g \
        | awk '{a[NR]=$1} END{if (NR) printf "%.3f", a[int(NR*0.99)]*1000; else print "n/a"}')
  echo "$name $q median_qps=$median runs=${qps[*]} qps_per_cpu_s=$cpu_median p99_ms=$p99 last: $last"
  eval "median_${name}_${q//[^a-z]/_}=$median"
  eval "cpu_${name}_${q//[^a-z]/_}=$cpu_median"
}

# SERVER_CPU_PERCENT=P: each server gets P % of core 0 (a CFS quota over 10 ms periods), so
# that the server, not dnsperf, is the bottleneck and the QPS ratio is the per-core ratio.
cpu_cgroup=/sys/fs/cgroup/cpu  # cgroup v1; v2 (cpu.max) where the cpu controller is on
[ -d "$cpu_cgroup" ] || cpu_cgroup=/sys/fs/cgroup
limit_cpu() {  # NAME PID
  [ -n "${SERVER_CPU_PERCENT:-}" ] || return 0
  local group=$cpu_cgroup/repd-bench-$$-$1
  mkdir -p "$group"
  if [ -f "$group/cpu.max" ]; then
    echo "$(( SERVER_CPU_PERCENT * 100 )) 10000" > "$group/cpu.max"
  else
    echo 10000 > "$group/cpu.cfs_period_us"
    echo $(( SERVER_CPU_PERCENT * 100 )) > "$group/cpu.cfs_quota_us"
  fi
  echo "$2" > "$group/cgroup.procs"
  echo "$1 cpu_quota=${SERVER_CPU_PERCENT}%"
}
unlimit_cpu() {  # NAME
  [ -n "${SERVER_CPU_PERCENT:-}" ] || return 0
  rmdir "$cpu_cgroup/repd-bench-$$-$1" 2>/dev/null || true
}

# NAME PORT COMMAND...: starts a server pinned to core 0, measures every query file, stops it.
run_server() {
  local name=$1 port=$2 pid child t0 t1
  shift 2
  taskset -c 0 "$@" &
  pid=$!
  t0=$(date +%s.%N); wait_up "$port"; t1=$(date +%s.%N)
  child=$(server_pid $pid)
  echo "$name load_s=$(echo "$t1 - $t0" | bc) rss_kb=$(rss_kb "$child")"
  limit_cpu "$name" "$child"
  for q in "${queries[@]}"; do measure "$name" "$port" "$q" "$child"; done
  echo "$name rss_kb_after=$(rss_kb "$child")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  unlimit_cpu "$name"
}

echo "# data: $data ($(wc -l < "$data/listings.csv") listings), ${secs}s x $runs runs per file"
run_server rbldnsd $port_rbl timeout "$server_life" rbldnsd -n -b "127.0.0.1/$port_rbl" \
  -q bl.repd.test:ip4set:"$data/ip4.rbl" dbl.repd.test:dnset:"$data/dom.rbl"
if [ -n "${REPD_SERVE:-}" ]; then
  # shellcheck disable=SC2086
  run_server repd $port_repd timeout "$server_life" $REPD_SERVE
else
  run_server repd $port_repd "$here/build/tests/dnsbl/dns_file_server" "127.0.0.1:$port_repd" \
    "$server_life" "$data/ip4.rbl" "$data/dom.rbl"
fi

for q in "${queries[@]}"; do
  k=${q//[^a-z]/_}
  a=$(eval echo "\$median_repd_$k") b=$(eval echo "\$median_rbldnsd_$k")
  c=$(eval echo "\$cpu_repd_$k") d=$(eval echo "\$cpu_rbldnsd_$k")
  echo "ratio $q repd/rbldnsd: qps $(echo "scale=3; $a / $b" | bc)," \
       "queries per server CPU second $(echo "scale=3; $c / $d" | bc)"
done
