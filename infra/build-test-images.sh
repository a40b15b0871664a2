#!/usr/bin/env bash
# Build the local test images (no registry is reachable, nothing can be pulled).
# Every directory infra/images/<name>/ with a Dockerfile is one image; its tags
# are the "# tag: <image:tag>" comment lines of that Dockerfile:
#   images/nginx-alpine -> nginx:alpine               (busybox httpd on :80)
#   images/busybox      -> messaging-test/busybox:latest (default command sh)
#   images/kv           -> messaging-test/kv:latest  (key-value store over HTTP on :80)
# The images are FROM scratch with the host's static busybox (Debian
# busybox-static), copied into a temporary build context at build time.
#
# An image is rebuilt only when it is missing or when the hash of its build
# context (all files under images/<name>/ plus the busybox binary) differs from
# the image's label messaging.infra.context-hash, so repeated runs are fast.
#
# Usage: infra/build-test-images.sh [--force]
# Needs a running dockerd (infra/services-up.sh). Prints
# "[infra] images: rebuilt ..." when it built something.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FORCE=0
[ "${1:-}" = --force ] && FORCE=1
LABEL=messaging.infra.context-hash
# Bump to force a rebuild of every image when the build procedure changes.
BUILD_SCHEME=1

ensure_state_dir
exec 8>"$STATE_DIR/build-test-images.lock"
flock -w 300 8 || die "timed out waiting for $STATE_DIR/build-test-images.lock"
ensure_packages busybox-static:busybox-static
BUSYBOX="$(static_busybox)"
[ -n "$BUSYBOX" ] || die "no static busybox found (package busybox-static)"
docker_answers || die "docker engine not answering on $DOCKER_HOST (run infra/services-up.sh first)"

# The classic builder: BuildKit/buildx is not available offline here (and the
# 20.10 engine's BuildKit would try to resolve images remotely).
export DOCKER_BUILDKIT=0

context_hash() { # dir
    local dir="$1"
    {
        echo "scheme $BUILD_SCHEME"
        echo "busybox $(sha256sum <"$BUSYBOX" | cut -d' ' -f1)"
        (cd "$dir" && find . \( -type f -o -type l \) -print | LC_ALL=C sort | while IFS= read -r f; do
            if [ -L "$f" ]; then
                printf 'link %s %s\n' "$f" "$(readlink "$f")"
            else
                printf 'file %s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
            fi
        done)
    } | sha256sum | cut -d' ' -f1
}

image_label() { # tag -> label value or empty
    docker_cli image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}
image_id() { docker_cli image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

REBUILT=()
UPTODATE=()
shopt -s nullglob
for dockerfile in "$INFRA_DIR"/images/*/Dockerfile; do
    dir="$(dirname "$dockerfile")"
    name="$(basename "$dir")"
    mapfile -t tags < <(sed -n 's/^# tag: *//p' "$dockerfile" | tr -d '\r' | sed 's/[[:space:]]*$//')
    [ "${#tags[@]}" -gt 0 ] || die "$dockerfile has no '# tag: <image:tag>' line"
    hash="$(context_hash "$dir")"

    stale=()
    for t in "${tags[@]}"; do
        [ "$FORCE" = 0 ] && [ "$(image_label "$t")" = "$hash" ] || stale+=("$t")
    done
    if [ "${#stale[@]}" -eq 0 ]; then
        UPTODATE+=("${tags[@]}")
        continue
    fi

    t0="$(now_ms)"
    old_ids=()
    for t in "${tags[@]}"; do
        id="$(image_id "$t")"; [ -n "$id" ] && old_ids+=("$id")
    done
    ctx="$(mktemp -d "${TMPDIR:-/tmp}/infra-image-$name.XXXXXX")"
    trap 'rm -rf "$ctx"' EXIT
    cp -a "$dir/." "$ctx/"
    cp "$BUSYBOX" "$ctx/busybox"
    chmod 0755 "$ctx/busybox"
    buildlog="$STATE_DIR/build-$name.log"
    targs=()
    for t in "${tags[@]}"; do targs+=(-t "$t"); done
    log "images: building ${tags[*]} from images/$name (log $buildlog)"
    if ! docker_cli build --force-rm --label "$LABEL=$hash" "${targs[@]}" "$ctx" >"$buildlog" 2>&1; then
        tail -n 20 "$buildlog" >&2
        die "docker build of images/$name failed"
    fi
    rm -rf "$ctx"
    trap - EXIT
    new_id="$(image_id "${tags[0]}")"
    # Drop the previous build if nothing refers to it any more (no tag left).
    for id in "${old_ids[@]}"; do
        [ "$id" = "$new_id" ] && continue
        if [ -z "$(docker_cli image inspect --format '{{join .RepoTags ","}}' "$id" 2>/dev/null)" ]; then
            docker_cli rmi "$id" >/dev/null 2>&1 || true
        fi
    done
    REBUILT+=("${tags[@]}")
    log "images: built ${tags[*]} in $(elapsed_s "$t0") (${new_id:7:12})"
done

[ "${#REBUILT[@]}" -gt 0 ] && log "images: rebuilt ${REBUILT[*]}"
[ "${#UPTODATE[@]}" -gt 0 ] && log "images: up to date ${UPTODATE[*]}"
exit 0
