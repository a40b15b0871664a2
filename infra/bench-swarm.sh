#!/usr/bin/env bash
# Creation latency with Scheduler:Mode=swarm on a one-node swarm, against the containers path, in one run (issue 18;
# docs/BENCHMARKS.md, "Swarm"). Runs infra/bench.sh's latency scenario twice: first as shipped (containers), then with
# the worker in swarm mode on a swarm this script makes on the engine (`docker swarm init`, advertising 127.0.0.1) and
# leaves at the end whatever happens, so the engine ends as it was found (inactive). Each run also times the same
# number of raw Engine API creations, interleaved, as its baseline.
#
# Usage: bash infra/bench-swarm.sh [--creations N]   (default as infra/bench.sh latency)
# Results: bench/results/containers-latency.{json,md} and bench/results/swarm-latency.{json,md}.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
. infra/lib.sh

bash infra/bench.sh latency "$@" --out bench/results/containers-latency.json || die "the containers run failed"

leave() { docker_cli swarm leave --force >/dev/null 2>&1 || true; }
leave # one a crashed run left
docker_cli swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null || die "docker swarm init failed"
trap leave EXIT
# The test engine does not set no-new-privileges daemon-wide (the worker's check would refuse it; README).
bash infra/bench.sh latency "$@" --out bench/results/swarm-latency.json \
    --env worker:Scheduler__Mode=swarm --env worker:Scheduler__Swarm__RequireNoNewPrivileges=false \
    --env worker:Docker__StopGracePeriod=00:00:02
