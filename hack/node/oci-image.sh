#!/usr/bin/env bash
# Packs a root filesystem into a one-layer OCI image layout, as a tar that
# `ctr -n k8s.io images import` accepts (no registry, no image builder).
#
# Usage: hack/node/oci-image.sh ROOTFS NAME OUT.tar [CONFIG_JSON]
#   ROOTFS       directory that becomes the image's filesystem
#   NAME         full reference, e.g. distributed-cache.invalid/pause:1.0
#   CONFIG_JSON  the image config's "config" object, e.g. '{"Entrypoint":["/pause"]}'
#
# The layer is tarred with fixed owners, order and times, so the same ROOTFS
# always gives the same digests.
set -euo pipefail

die() { echo "oci-image: error: $*" >&2; exit 1; }

[[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 ROOTFS NAME OUT.tar [CONFIG_JSON]"
readonly ROOTFS="$1" NAME="$2" OUT="$3" CONFIG="${4:-"{}"}"
[[ -d "$ROOTFS" ]] || die "$ROOTFS is not a directory"
[[ "$NAME" == */*:* ]] || die "NAME must be a full reference with a tag, e.g. example.invalid/app:1.0"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/layout/blobs/sha256"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# Stores a file as a blob and prints its digest.
add_blob() {
  local digest
  digest="$(sha "$1")"
  mv "$1" "$WORK/layout/blobs/sha256/$digest"
  echo "$digest"
}

tar -C "$ROOTFS" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$WORK/layer.tar" .
diff_id="$(sha "$WORK/layer.tar")"
gzip -n -9 "$WORK/layer.tar"
layer_size="$(size "$WORK/layer.tar.gz")"
layer_digest="$(add_blob "$WORK/layer.tar.gz")"

printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$CONFIG" "$diff_id" >"$WORK/config.json"
config_size="$(size "$WORK/config.json")"
config_digest="$(add_blob "$WORK/config.json")"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$WORK/manifest.json"
manifest_size="$(size "$WORK/manifest.json")"
manifest_digest="$(add_blob "$WORK/manifest.json")"

# containerd names the imported image after io.containerd.image.name; the
# OCI ref name is the tag, for tools that read only the standard annotation.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest_digest" "$manifest_size" "$NAME" "${NAME##*:}" >"$WORK/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$WORK/layout/oci-layout"

tar -C "$WORK/layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$OUT.partial" .
mv -f "$OUT.partial" "$OUT"
