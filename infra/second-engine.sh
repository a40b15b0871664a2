#!/usr/bin/env bash
# A Docker engine of our own besides the shared one: its own network namespace (addresses on a veth pair),
# data root, exec root (its own containerd), socket and cgroup parent. For what must happen to an engine for
# real without touching the shared one: a dockerd restart (fault scenario 10), later a second swarm node.
#
# Usage: infra/second-engine.sh up|restart|kill|down|status [NAME] [INDEX]
#   NAME   namespace and state directory name (default msg-engine2); at most 12 characters
#   INDEX  1-250 (default 1): the veth pair gets 10.231.INDEX.1/30 (host side) and 10.231.INDEX.2/30 (engine side)
#   up       creates the namespace and starts dockerd in it, then loads the local test images into it
#   restart  stops dockerd with SIGTERM as a system shutdown would (its containers are stopped), removes the overlay
#            namespaces Docker 20.10 can leave behind (clear_overlay_leftovers), starts it again
#   kill     a power loss: SIGKILL to dockerd, its containerd and shims and every process of its containers at once
#            (`up` starts it again on the same data root; `down` cleans up after it)
#   down     stops dockerd, removes every container, the namespace, the veth pair and the state directory
#   status   prints the socket when the engine answers
# The socket: $STATE_DIR/NAME/docker.sock (use DOCKER_HOST=unix://... or Docker__Endpoint). Logs in $STATE_DIR/NAME/.
# The engine runs with no-new-privileges daemon-wide and in a UTS namespace of its own with hostname NAME (as a swarm
# node it is told apart from the shared engine's node by name, not only by id).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action="${1:-status}"
name="${2:-msg-engine2}"
index="${3:-1}"
[[ "$name" =~ ^[a-z0-9-]{1,12}$ ]] || die "NAME must be 1-12 of a-z, 0-9, -"
[[ "$index" =~ ^[0-9]+$ ]] && [ "$index" -ge 1 ] && [ "$index" -le 250 ] || die "INDEX must be 1-250"
dir="$STATE_DIR/$name"
sock="$dir/docker.sock"
host_if="${name}-h"
engine_if="${name}-n"

engine() { docker_cli -H "unix://$sock" "$@"; }
answers() { engine version --format '{{.Server.Version}}' >/dev/null 2>&1; }

dockerd_pid() { [ -r "$dir/dockerd.pid" ] && proc_alive "$(cat "$dir/dockerd.pid")" && cat "$dir/dockerd.pid"; }

ensure_namespace() {
    ip netns list | grep -qw "^$name" || ip netns add "$name"
    if ! ip link show "$host_if" >/dev/null 2>&1; then
        ip link add "$host_if" type veth peer name "$engine_if"
        ip link set "$engine_if" netns "$name"
        ip addr add "10.231.$index.1/30" dev "$host_if"
        ip link set "$host_if" up
        ip netns exec "$name" ip addr add "10.231.$index.2/30" dev "$engine_if"
        ip netns exec "$name" ip link set "$engine_if" up
    fi
    ip netns exec "$name" ip link set lo up
}

start_dockerd() {
    mkdir -p "$dir/data" "$dir/exec"
    rm -f "$sock"
    local t0; t0="$(now_ms)"
    # Its own containerd (under the exec root), its own cgroup parent, the shared engine's defaults otherwise.
    # nsenter, not `ip netns exec`: that one also remounts /sys, which hides the cgroup mounts dockerd needs.
    # no-new-privileges daemon-wide, as a swarm node must have it (the worker's start-up check refuses a node without it);
    # containers the worker makes set it themselves anyway.
    # shellcheck disable=SC2016  # $0 and $@ are the inner shell's
    spawn_detached "$dir/dockerd.log" nsenter "--net=/var/run/netns/$name" unshare --uts \
        sh -c 'hostname "$0" && exec dockerd "$@"' "$name" \
        --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
        -H "unix://$sock" --cgroup-parent "/$name" --no-new-privileges --log-level warn
    local waited=0
    until answers; do
        sleep 0.25; waited=$((waited + 1))
        if [ "$waited" -ge 240 ] || ! proc_alive "$STARTED_PID"; then
            tail -20 "$dir/dockerd.log" >&2; die "$name: dockerd did not come up (log $dir/dockerd.log)"
        fi
    done
    log "$name: dockerd up after $(elapsed_s "$t0") (pid $(cat "$dir/dockerd.pid"), unix://$sock)"
}

stop_dockerd() {
    local pid
    pid="$(dockerd_pid)" || return 0
    kill -TERM "$pid"
    local waited=0
    while proc_alive "$pid"; do
        sleep 0.25; waited=$((waited + 1))
        [ "$waited" -lt 240 ] || { kill -KILL "$pid"; break; }
    done
}

# Docker 20.10's overlay driver can leave a sandbox network namespace (a file bind-mounted under the exec root's netns/)
# holding its vxlan device when dockerd stops; started again, dockerd then fails every task that joins that overlay
# with "error creating vxlan interface: file exists" (moby/libnetwork#1765, still open; #751: remove the netns files
# with dockerd down). With dockerd stopped nothing uses them: each is unmounted and removed, and any vxlan device left
# in the engine's namespace (Docker names them vx-<vni>-...) deleted. Says how many there were, so a run shows whether the leftovers were there.
clear_overlay_leftovers() {
    local files=0 devices=0 f vx
    for f in "$dir/exec/netns/"*; do
        [ -e "$f" ] || continue
        umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null || true
        rm -f "$f" && files=$((files + 1))
    done
    for vx in $(ip -n "$name" -o link show type vxlan 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^vx-'); do
        ip -n "$name" link del "$vx" 2>/dev/null && devices=$((devices + 1))
    done
    log "$name: after the stop, removed $files network namespace files and $devices vxlan devices dockerd left"
}

descendants() { # pid -> every descendant's pid, children first
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$child"; descendants "$child"
    done
}

kill_engine() {
    local pid victims cg
    pid="$(dockerd_pid)" || die "$name is not running"
    # Every process at once, before any of them can react: dockerd, containerd, shims, and what runs in the containers
    # (in the cgroup parent; a shim would otherwise keep a container serving after its engine is gone).
    victims="$pid $(descendants "$pid")"
    # Shims re-parent themselves away from containerd: they are found by the containerd socket in their command line.
    local proc
    for proc in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$proc/cmdline" | grep -qF -- "$dir/exec/" && victims="$victims ${proc#/proc/}"
    done
    for cg in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "$name" 2>/dev/null); do
        victims="$victims $(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)"
    done
    # shellcheck disable=SC2086
    kill -KILL $victims 2>/dev/null || true
    local waited=0
    while proc_alive "$pid"; do sleep 0.1; waited=$((waited + 1)); [ "$waited" -lt 100 ] || break; done
    log "$name: killed (dockerd $pid and $(echo "$victims" | wc -w) processes in all)"
}

load_images() {
    local images
    images="$(grep -h '^# tag:' "$INFRA_DIR"/images/*/Dockerfile | awk '{print $3}' | sort -u)"
    # shellcheck disable=SC2086
    docker_cli save $images | engine load -q >/dev/null
    log "$name: images loaded: $(echo $images)"
}

case "$action" in
    up)
        ensure_state_dir
        ensure_namespace
        if ! answers; then start_dockerd; fi
        load_images
        echo "unix://$sock"
        ;;
    restart)
        answers || die "$name is not running (infra/second-engine.sh up $name)"
        stop_dockerd
        clear_overlay_leftovers
        start_dockerd
        ;;
    kill)
        kill_engine
        ;;
    down)
        if answers; then
            ids="$(engine ps -aq)"
            # shellcheck disable=SC2086
            [ -z "$ids" ] || engine rm -f $ids >/dev/null
        fi
        stop_dockerd
        # Whatever dockerd left mounted under its roots (overlay layers, the exec root's netns files).
        { grep -o " $dir/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        # Its cgroup parent, emptied with its containers.
        find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "$name" 2>/dev/null | while read -r cg; do
            find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        done
        ip link del "$host_if" 2>/dev/null || true
        ip netns del "$name" 2>/dev/null || true
        rm -rf "$dir"
        log "$name: down"
        ;;
    status)
        answers && echo "unix://$sock" || { echo "$name: not running"; exit 1; }
        ;;
    *) die "usage: $0 up|restart|kill|down|status [NAME] [INDEX]" ;;
esac
