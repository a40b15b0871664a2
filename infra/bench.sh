#!/usr/bin/env bash
# The benchmark command (docs/BENCHMARKS.md): starts dockerd, RabbitMQ and Redis (and the local test
# images) like the tests do, creates the bench's RabbitMQ vhost, builds in Release and runs the
# benchmark tool, which prints a table and writes bench/results/latest.json (+ latest.md).
#
# Usage: bash infra/bench.sh [all|latency|throughput|accept|reservation|memory|scale|detection|recovery|overhead|micro|edge|stack|build]... [options]
#        (no scenario: all; options: see `bash infra/bench.sh --help`)
#
# Isolation from tests running at the same time: Redis keys under bench:<run>:, containers labelled
# messaging.instance=bench (the worker's) and bench-raw (the baselines'), the RabbitMQ vhost
# messaging-bench, host ports 12000-14999, the network messaging-bench. Everything is removed at the
# end and on Ctrl+C (and the containers once more here, as a safety net). One run at a time (flock).
# Not part of CI's test run: timings on a shared machine are noise; CI only builds the project.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=lib.sh
. infra/lib.sh
ensure_state_dir
exec 8>"$STATE_DIR/bench.lock"
flock -n 8 || die "another infra/bench.sh is running"

case "${1:-}" in
    -h|--help) dotnet build -c Release bench/Messaging.Benchmarks --nologo -v q -clp:ErrorsOnly >/dev/null &&
               exec dotnet bench/Messaging.Benchmarks/bin/Release/net10.0/Messaging.Benchmarks.dll --help ;;
esac

bash infra/services-up.sh || die "services did not come up"

rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx messaging-bench || rabbitmqctl add_vhost messaging-bench >/dev/null
rabbitmqctl set_permissions -p messaging-bench guest ".*" ".*" ".*" >/dev/null

args=("$@")
[ "${#args[@]}" -gt 0 ] || args=(all)

dotnet build -c Release bench/Messaging.Benchmarks --nologo -v q -clp:ErrorsOnly || die "build failed"
export DOCKER_API_VERSION=1.41   # the CLI baseline talks to engine 20.10
# No `dotnet run` wrapper process between us and the tool: Ctrl+C reaches it directly.
dotnet bench/Messaging.Benchmarks/bin/Release/net10.0/Messaging.Benchmarks.dll "${args[@]}"
status=$?

bash infra/cleanup-containers.sh messaging.instance=bench >/dev/null
bash infra/cleanup-containers.sh messaging.instance=bench-raw >/dev/null
exit "$status"
