#!/usr/bin/env bash
# Where the API's CPU goes while it accepts creations (docs/BENCHMARKS.md, "accept rate"): runs the
# accept scenario with the runtime's perf map on, records the API process with `perf` for 10 s of the
# measured window (after its JIT settled), and prints the samples grouped by assembly / native module.
# Needs: perf (linux-perf), the services up (bash infra/services-up.sh), a Release build of the bench.
# A profiling run is not a benchmark run: the perf map and W^X off change the process a little.
#
# Usage: bash bench/tools/profile-accept.sh [seconds to record, default 10]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)"; exit 1; }
record="${1:-10}"
out="bench/results/profile"
mkdir -p "$out"
log="$out/accept-run.log"

dotnet bench/Messaging.Benchmarks/bin/Release/net10.0/Messaging.Benchmarks.dll accept --out "$out/accept.json" \
    --env api:DOTNET_PerfMapEnabled=1 --env api:DOTNET_EnableWriteXorExecute=0 >"$log" 2>&1 &
bench=$!
trap 'kill -TERM $bench 2>/dev/null || true' INT TERM
for _ in $(seq 1 180); do grep -q "accept: API," "$log" && break; sleep 1; done
pid=$(grep -o "started b-api (pid [0-9]*" "$log" | grep -o "[0-9]*$")
sleep 2
perf record -F 999 -g -p "$pid" -o "$out/api.perf.data" -- sleep "$record" 2>/dev/null
cp "/tmp/perf-$pid.map" "$out/" 2>/dev/null || true
wait $bench || true
grep -E "accept: (API|raw|meanwhile)" "$log"

# Group samples (leaf frame) by assembly: JIT'd frames carry "[Assembly]" in their perf-map name.
perf script -i "$out/api.perf.data" -F ip,sym,dso --no-inline 2>/dev/null | awk '
    /^[ \t]*$/ { leaf = 0; next }
    leaf == 1 { next }
    {
        leaf = 1; total++
        line = $0
        if (match(line, /\[[A-Za-z][A-Za-z0-9_.]+\] [A-Za-z]/)) { group = substr(line, RSTART + 1, RLENGTH - 4) }
        else if (line ~ /kernel/) { group = "kernel (syscalls, network, scheduling)" }
        else if (line ~ /libcoreclr/) { group = "runtime (GC, type system, stubs)" }
        else if (line ~ /libclrjit/) { group = "JIT" }
        else if (line ~ /libc\.so|ld-linux/) { group = "libc" }
        else if (line ~ /libcrypto|libssl/) { group = "OpenSSL" }
        else if (line ~ /stub|perf-/) { group = "runtime stubs" }
        else { group = "other / unresolved" }
        count[group]++
    }
    END { for (g in count) printf "%6.2f%%  %s\n", 100 * count[g] / total, g }' | sort -rn | head -25
echo "(perf data: $out/api.perf.data; perf report -i $out/api.perf.data --no-children)"
