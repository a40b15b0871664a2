#!/usr/bin/env bash
# Build local stand-ins for the public images that docker-compose.yml, Dockerfile.api,
# Dockerfile.worker and Dockerfile.audit use, and a NuGet feed folder for their build stage, so that the compose
# stack builds and runs on a machine that reaches no container registry (only Debian's
# mirror and, from the host only, NuGet):
#
#   messaging-stand-in/debian-rootfs:bookworm  debootstrap --variant=minbase + docker import
#   messaging-stand-in/debian:bookworm         + policy-rc.d, apt sources, no docs
#   redis:7                                    Debian's redis-server (7.0)
#   rabbitmq:3-management                      Debian's rabbitmq-server (3.10) + management plugin
#   messaging-stand-in/dotnet-runtime-deps:10.0  native libraries + user app (1654)
#   mcr.microsoft.com/dotnet/runtime:10.0      this machine's .NET runtime (dotnet --info)
#   mcr.microsoft.com/dotnet/aspnet:10.0       + this machine's ASP.NET Core runtime
#   mcr.microsoft.com/dotnet/sdk:10.0          + this machine's SDK
#   infra/compose/nuget-feed/                  the packages the API, the worker and the audit host restore,
#                                              copied from the host's global packages folder
#
# The Dockerfiles are under infra/images/base/<name>/ ("# tag:" lines name the tags). An image
# is built only when it is missing or when its inputs changed (Dockerfile and files beside it,
# the parent image, the .NET versions copied in): a label messaging.stand-in.hash on the image
# records them. A tag that exists WITHOUT that label is a real image (e.g. pulled from the
# registry) and is left alone. The debootstrap tarball is cached in
# $MESSAGING_COMPOSE_CACHE (default /var/cache/messaging-compose, /tmp/messaging-compose-cache
# when that is not writable); delete it to start from a fresh Debian.
#
# Usage: infra/compose-images.sh [--force] [--images-only | --feed-only]
#   --force        rebuild every stand-in image and the feed (the tarball is kept)
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DOTNET_ROOT (default: the
# dotnet found in PATH), MESSAGING_COMPOSE_CACHE, MESSAGING_COMPOSE_LOGS (default
# /tmp/messaging-compose).
set -euo pipefail
# shellcheck source=compose/compose-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/compose/compose-lib.sh"

FORCE=0 DO_IMAGES=1 DO_FEED=1
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        --images-only) DO_FEED=0 ;;
        --feed-only) DO_IMAGES=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "usage: $0 [--force] [--images-only | --feed-only]" ;;
    esac
done

SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
LABEL=messaging.stand-in.hash
SCHEME=1   # bump to rebuild every stand-in when this procedure changes
BASE_DIR="$INFRA_DIR/images/base"
FEED_DIR="$COMPOSE_DIR/nuget-feed"
LOG_DIR="${MESSAGING_COMPOSE_LOGS:-/tmp/messaging-compose}"
CACHE_DIR="${MESSAGING_COMPOSE_CACHE:-/var/cache/messaging-compose}"
mkdir -p "$LOG_DIR"
if ! mkdir -p "$CACHE_DIR" 2>/dev/null || [ ! -w "$CACHE_DIR" ]; then
    CACHE_DIR=/tmp/messaging-compose-cache
    mkdir -p "$CACHE_DIR"
fi
exec 7>"$LOG_DIR/compose-images.lock"
flock -w 1800 7 || die "timed out waiting for $LOG_DIR/compose-images.lock"
T_ALL="$(now_ms)"
BUILT=() UPTODATE=() FOREIGN=()

# ------------------------------------------------------------------ .NET on this machine ---
find_dotnet_root() {
    local d
    if [ -n "${DOTNET_ROOT:-}" ] && [ -x "$DOTNET_ROOT/dotnet" ]; then printf '%s' "$DOTNET_ROOT"; return; fi
    # "Base Path: /usr/share/dotnet/sdk/10.0.401/" in dotnet --info
    d="$(dotnet --info 2>/dev/null | sed -n 's/^ *Base Path: *\(.*\)\/sdk\/[^/]*\/\{0,1\}$/\1/p' | head -n 1)"
    [ -n "$d" ] && [ -x "$d/dotnet" ] && { printf '%s' "$d"; return; }
    d="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    [ -x "$d/dotnet" ] && printf '%s' "$d"
}
highest_10() { # dir -> the highest 10.0.* subfolder name
    find "$1" -mindepth 1 -maxdepth 1 -type d -name '10.0.*' -printf '%f\n' 2>/dev/null | sort -V | tail -n 1
}

# ------------------------------------------------------------------------ build helpers ---
context_hash() { # dir extra-text -> hash of the files under dir plus extra text
    {
        echo "scheme $SCHEME"
        printf '%s\n' "$2"
        (cd "$1" && find . \( -type f -o -type l \) -print | LC_ALL=C sort | while IFS= read -r f; do
            printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
        done)
    } | sha256sum | cut -d' ' -f1
}

# build_standin NAME [--dotnet REL_PATH]... [--build-arg K=V]...
# Builds infra/images/base/NAME/Dockerfile, with the listed parts of the .NET root copied into
# the build context as ./dotnet/REL_PATH.
build_standin() {
    local name="$1"; shift
    local dir="$BASE_DIR/$name" parts=() bargs=() extra parent parent_id t hash stale=() foreign=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --dotnet) parts+=("$2"); shift 2 ;;
            --build-arg) bargs+=(--build-arg "$2"); shift 2 ;;
            *) die "build_standin: bad argument $1" ;;
        esac
    done
    [ -f "$dir/Dockerfile" ] || die "missing $dir/Dockerfile"
    mapfile -t tags < <(sed -n 's/^# tag: *//p' "$dir/Dockerfile" | sed 's/[[:space:]]*$//')
    [ "${#tags[@]}" -gt 0 ] || die "$dir/Dockerfile has no '# tag:' line"
    parent="$(sed -n 's/^FROM[[:space:]]\+\([^[:space:]]\+\).*/\1/p' "$dir/Dockerfile" | head -n 1)"
    parent_id="$(image_id "$parent")"
    [ -n "$parent_id" ] || die "$name: parent image $parent is missing"
    extra="parent $parent_id"$'\n'"args ${bargs[*]:-}"
    for p in "${parts[@]}"; do
        # names, sizes and times of the copied files: cheap, and changes with any .NET update
        extra+=$'\n'"dotnet $p $(cd "$DOTNET_ROOT" && find "$p" \( -type f -o -type l \) -printf '%P %s %T@\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)"
    done
    hash="$(context_hash "$dir" "$extra")"

    for t in "${tags[@]}"; do
        if [ -n "$(image_id "$t")" ] && [ -z "$(image_label "$t" "$LABEL")" ]; then
            foreign=1
        elif [ "$FORCE" = 1 ] || [ "$(image_label "$t" "$LABEL")" != "$hash" ]; then
            stale+=("$t")
        fi
    done
    if [ "$foreign" = 1 ]; then
        FOREIGN+=("${tags[@]}")
        log "$name: ${tags[*]} exists and is not a stand-in (no $LABEL label): left alone"
        return 0
    fi
    if [ "${#stale[@]}" -eq 0 ]; then
        UPTODATE+=("${tags[@]}")
        return 0
    fi

    local t0 ctx old_ids=() id new_id targs=() buildlog="$LOG_DIR/build-standin-$name.log"
    t0="$(now_ms)"
    for t in "${tags[@]}"; do id="$(image_id "$t")"; [ -n "$id" ] && old_ids+=("$id"); done
    ctx="$(mktemp -d "${TMPDIR:-/tmp}/standin-$name.XXXXXX")"
    cp -a "$dir/." "$ctx/"
    for p in "${parts[@]}"; do
        mkdir -p "$ctx/dotnet/$(dirname "$p")"
        # hard links when possible (same file system): the SDK is ~500 MB
        cp -al "$DOTNET_ROOT/$p" "$ctx/dotnet/$p" 2>/dev/null || cp -a "$DOTNET_ROOT/$p" "$ctx/dotnet/$p"
    done
    for t in "${tags[@]}"; do targs+=(-t "$t"); done
    log "$name: building ${tags[*]} (log $buildlog)"
    if ! docker_cli build --force-rm --label "$LABEL=$hash" "${bargs[@]}" "${targs[@]}" "$ctx" >"$buildlog" 2>&1; then
        rm -rf "$ctx"
        tail -n 25 "$buildlog" >&2
        die "docker build of infra/images/base/$name failed"
    fi
    rm -rf "$ctx"
    new_id="$(image_id "${tags[0]}")"
    for id in "${old_ids[@]}"; do # drop the previous build when no tag refers to it any more
        [ "$id" = "$new_id" ] && continue
        [ -z "$(docker_cli image inspect --format '{{join .RepoTags ","}}' "$id" 2>/dev/null)" ] \
            && docker_cli rmi "$id" >/dev/null 2>&1 || true
    done
    BUILT+=("${tags[@]}")
    log "$name: built ${tags[*]} in $(elapsed_s "$t0") (${new_id:7:12})"
}

# ----------------------------------------------------------------- Debian rootfs + import ---
debian_rootfs() {
    local tar="$CACHE_DIR/debian-$SUITE-minbase.tar" tag="messaging-stand-in/debian-rootfs:$SUITE"
    local tmp t0 hash
    if [ ! -s "$tar" ]; then
        ensure_packages debootstrap:debootstrap
        [ "$(id -u)" = 0 ] || die "debootstrap needs root"
        t0="$(now_ms)"
        tmp="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
        log "debootstrap --variant=minbase $SUITE from $MIRROR (log $LOG_DIR/debootstrap.log)"
        if ! debootstrap --variant=minbase "$SUITE" "$tmp/rootfs" "$MIRROR" >"$LOG_DIR/debootstrap.log" 2>&1; then
            rm -rf "$tmp"
            tail -n 20 "$LOG_DIR/debootstrap.log" >&2
            die "debootstrap failed"
        fi
        rm -rf "$tmp"/rootfs/var/cache/apt/archives/*.deb "$tmp"/rootfs/var/lib/apt/lists/* "$tmp"/rootfs/debootstrap
        tar --numeric-owner -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
        mv "$tmp/rootfs.tar" "$tar"
        rm -rf "$tmp"
        log "rootfs: $tar ($(du -h "$tar" | cut -f1)) in $(elapsed_s "$t0")"
    fi
    hash="$(printf 'scheme %s\n%s %s\n' "$SCHEME" "$tag" "$(stat -c '%s %Y' "$tar")" | sha256sum | cut -d' ' -f1)"
    if [ "$FORCE" = 0 ] && [ "$(image_label "$tag" "$LABEL")" = "$hash" ]; then
        UPTODATE+=("$tag")
        return 0
    fi
    t0="$(now_ms)"
    docker_cli import --change "LABEL $LABEL=$hash" --change 'CMD ["bash"]' "$tar" "$tag" >/dev/null
    BUILT+=("$tag")
    log "rootfs: imported $tag in $(elapsed_s "$t0")"
}

# ---------------------------------------------------------------------------- NuGet feed ---
# The build stage of Dockerfile.api/.worker/.audit restores from nuget.org by default. Containers here
# cannot (nuget.org is reached through a TLS-intercepting proxy that only the host trusts), so
# the build gets NUGET_SOURCE=/nuget-feed: a copy of infra/compose/nuget-feed/, which holds
# exactly the packages (.nupkg) that restoring the three projects resolves, in the layout of a
# global packages folder (<id>/<version>/), taken from this machine's global packages folder.
FEED_PROJECTS=(Messaging.Api Messaging.Worker Messaging.Audit Messaging.Edge)
nuget_feed() {
    local inputs=(Directory.Build.props Directory.Packages.props) f p hash tmp gp t0 count assets=()
    for f in global.json nuget.config NuGet.Config; do [ -f "$REPO_DIR/$f" ] && inputs+=("$f"); done
    # Every project file under src/: the three hosts may reference any of them.
    mapfile -t -O "${#inputs[@]}" inputs < <(cd "$REPO_DIR" && find src -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' | LC_ALL=C sort)
    hash="$(cd "$REPO_DIR" && { echo "scheme $SCHEME"; echo "projects ${FEED_PROJECTS[*]}"; echo "worker linux-x64 r2r"; dotnet --version; sha256sum "${inputs[@]}"; } | sha256sum | cut -d' ' -f1)"
    if [ "$FORCE" = 0 ] && [ "$(cat "$FEED_DIR/.inputs-hash" 2>/dev/null)" = "$hash" ]; then
        UPTODATE+=("nuget-feed")
        return 0
    fi
    t0="$(now_ms)"
    ensure_packages jq:jq
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/compose-feed.XXXXXX")"
    (cd "$REPO_DIR" && cp --parents "${inputs[@]}" "$tmp/")
    log "nuget-feed: restoring ${FEED_PROJECTS[*]} on the host (log $LOG_DIR/feed-restore.log)"
    # The worker as Dockerfile.worker restores it: for its platform, ReadyToRun (the compiler's package with it).
    if ! (cd "$tmp" && for p in "${FEED_PROJECTS[@]}"; do
            if [ "$p" = Messaging.Worker ]; then set -- -r linux-x64 -p:PublishReadyToRun=true; else set --; fi
            dotnet restore "src/$p/$p.csproj" --nologo "$@" || exit 1
          done) >"$LOG_DIR/feed-restore.log" 2>&1; then
        rm -rf "$tmp"
        tail -n 20 "$LOG_DIR/feed-restore.log" >&2
        die "dotnet restore for the NuGet feed failed"
    fi
    for p in "${FEED_PROJECTS[@]}"; do assets+=("$tmp/src/$p/obj/project.assets.json"); done
    gp="${NUGET_PACKAGES:-$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')}"
    gp="${gp%/}"
    [ -d "$gp" ] || die "global packages folder '$gp' not found"
    find "$FEED_DIR" -mindepth 1 -maxdepth 1 ! -name .gitignore ! -name README.md -exec rm -rf {} +
    count=0
    while IFS= read -r p; do
        [ -n "$p" ] || continue
        [ -d "$gp/$p" ] || die "package folder $gp/$p missing"
        mkdir -p "$FEED_DIR/$p"
        find "$gp/$p" -maxdepth 1 -type f \( -name '*.nupkg' -o -name '*.nupkg.sha512' -o -name '*.nuspec' \) \
            -exec cp {} "$FEED_DIR/$p/" \;
        count=$((count + 1))
    done < <(jq -r '
            (.libraries | to_entries[] | select(.value.type == "package") | .value.path),
            (.project.frameworks[]?.downloadDependencies[]?
                | "\(.name | ascii_downcase)/\(.version | gsub("[\\[\\] ]"; "") | split(",")[0] | ascii_downcase)")
        ' "${assets[@]}" \
        | LC_ALL=C sort -u)
    rm -rf "$tmp"
    printf '%s\n' "$hash" >"$FEED_DIR/.inputs-hash"
    BUILT+=("nuget-feed")
    log "nuget-feed: $count packages, $(du -sh "$FEED_DIR" | cut -f1) in infra/compose/nuget-feed/ ($(elapsed_s "$t0"))"
}

# ------------------------------------------------------------------------------------ run ---
docker_answers || die "docker engine not answering on $DOCKER_HOST (run infra/services-up.sh first)"

if [ "$DO_IMAGES" = 1 ]; then
    DOTNET_ROOT="$(find_dotnet_root)"
    [ -n "$DOTNET_ROOT" ] || die "no .NET installation found (dotnet --info)"
    NETCORE_VERSION="$(highest_10 "$DOTNET_ROOT/shared/Microsoft.NETCore.App")"
    ASPNET_VERSION="$(highest_10 "$DOTNET_ROOT/shared/Microsoft.AspNetCore.App")"
    SDK_VERSION="$(highest_10 "$DOTNET_ROOT/sdk")"
    FXR_VERSION="$(highest_10 "$DOTNET_ROOT/host/fxr")"
    [ -n "$NETCORE_VERSION" ] && [ -n "$ASPNET_VERSION" ] && [ -n "$SDK_VERSION" ] && [ -n "$FXR_VERSION" ] \
        || die "$DOTNET_ROOT lacks a 10.0 runtime, ASP.NET Core runtime, SDK or hostfxr"
    log ".NET from $DOTNET_ROOT: runtime $NETCORE_VERSION, ASP.NET Core $ASPNET_VERSION, SDK $SDK_VERSION"

    debian_rootfs
    build_standin debian --build-arg "DEBIAN_MIRROR=$MIRROR"
    build_standin redis
    build_standin rabbitmq
    build_standin dotnet-runtime-deps
    runtime_parts=(dotnet "host/fxr/$FXR_VERSION" "shared/Microsoft.NETCore.App/$NETCORE_VERSION")
    for f in LICENSE.txt ThirdPartyNotices.txt; do [ -f "$DOTNET_ROOT/$f" ] && runtime_parts+=("$f"); done
    runtime_args=()
    for p in "${runtime_parts[@]}"; do runtime_args+=(--dotnet "$p"); done
    build_standin dotnet-runtime "${runtime_args[@]}" --build-arg "DOTNET_VERSION=$NETCORE_VERSION"
    build_standin dotnet-aspnet --dotnet "shared/Microsoft.AspNetCore.App/$ASPNET_VERSION" \
        --build-arg "ASPNET_VERSION=$ASPNET_VERSION"
    sdk_args=(--dotnet "sdk/$SDK_VERSION")
    for p in packs sdk-manifests templates metadata dnx; do [ -e "$DOTNET_ROOT/$p" ] && sdk_args+=(--dotnet "$p"); done
    build_standin dotnet-sdk "${sdk_args[@]}" --build-arg "DOTNET_SDK_VERSION=$SDK_VERSION"
fi
[ "$DO_FEED" = 1 ] && nuget_feed

[ "${#BUILT[@]}" -gt 0 ] && log "built: ${BUILT[*]}"
[ "${#UPTODATE[@]}" -gt 0 ] && log "up to date: ${UPTODATE[*]}"
[ "${#FOREIGN[@]}" -gt 0 ] && log "real images kept: ${FOREIGN[*]}"
log "compose-images: done in $(elapsed_s "$T_ALL")"
