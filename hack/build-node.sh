#!/usr/bin/env bash
# Builds what the test node runs (see hack/node/README.md) once, into
# ~/.cache/distributed-cache/node/<key>/, and prints its bin dir on stdout.
# Progress goes to stderr, one line per component.
#
#   bin/        kubelet, kube-proxy (hack/node/k8s: the control plane's
#               Kubernetes release), containerd, containerd-shim-runc-v2, ctr
#               (hack/node/containerd), pause (hack/node/pause), coredns
#               (hack/node/coredns), metrics-server (hack/node/metrics-server),
#               kube-router (hack/node/kube-router: NetworkPolicy enforcement only)
#   bin/cni/    bridge, host-local, loopback, portmap (hack/node/cni)
#   images/     pause.tar and busybox.tar: OCI layouts for `ctr images import`,
#               and pause.ref, busybox.ref: the image names they carry
#
# runc, iptables, ipset (kube-router's) and busybox-static come from Debian and are installed here
# when missing.
#
# Usage:
#   hack/build-node.sh                  build if needed, then print the bin dir
#   hack/build-node.sh --print-bin-dir  print the bin dir without building
#
# <key> hashes the modules' go.mod and go.sum, the pause source, the image
# recipe, `go version` and the Debian busybox version.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR NODE_DIR="$HACK_DIR/node"
readonly MODULES=(k8s containerd cni coredns metrics-server kube-router pause)
readonly DEBIAN_PACKAGES=(runc iptables ipset busybox-static)
# The names pods and containerd use for the two local images.
readonly PAUSE_IMAGE=distributed-cache.invalid/pause:1.0
readonly BUSYBOX_REPOSITORY=distributed-cache.invalid/busybox

die() { echo "build-node: error: $*" >&2; exit 1; }
say() { echo "build-node: $*" >&2; }
# shellcheck source-path=SCRIPTDIR source=lib/go-tool.sh
source "$HACK_DIR/lib/go-tool.sh"
go_tool_require_go "the node"
readonly CACHE_ROOT="$GO_TOOL_CACHE_ROOT/node"

module_version() { go_tool_module_version "$NODE_DIR/$1" "$2"; }

K8S_VERSION="$(module_version k8s k8s.io/kubernetes)" || die "cannot resolve k8s.io/kubernetes in $NODE_DIR/k8s/go.mod"
CONTAINERD_VERSION="$(module_version containerd github.com/containerd/containerd/v2)" \
  || die "cannot resolve containerd in $NODE_DIR/containerd/go.mod"
CNI_VERSION="$(module_version cni github.com/containernetworking/plugins)" \
  || die "cannot resolve the CNI plugins in $NODE_DIR/cni/go.mod"
METRICS_SERVER_VERSION="$(module_version metrics-server sigs.k8s.io/metrics-server)" \
  || die "cannot resolve metrics-server in $NODE_DIR/metrics-server/go.mod"
KUBE_ROUTER_VERSION="$(module_version kube-router github.com/cloudnativelabs/kube-router/v2)" \
  || die "cannot resolve kube-router in $NODE_DIR/kube-router/go.mod"
readonly K8S_VERSION CONTAINERD_VERSION CNI_VERSION METRICS_SERVER_VERSION KUBE_ROUTER_VERSION
# The kubelet must match the control plane it registers with.
CONTROL_PLANE_K8S="$(go_tool_module_version "$HACK_DIR/k8s" k8s.io/kubernetes)"
[[ "$K8S_VERSION" == "$CONTROL_PLANE_K8S" ]] \
  || die "hack/node/k8s pins Kubernetes $K8S_VERSION but hack/k8s pins $CONTROL_PLANE_K8S; pin the same release"
[[ "$K8S_VERSION" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "unexpected k8s.io/kubernetes version '$K8S_VERSION'"
readonly K8S_MAJOR="${BASH_REMATCH[1]}" K8S_MINOR="${BASH_REMATCH[2]}"

# The same tags and version stamps as hack/build-k8s.sh, so the packages the
# kubelet shares with the control plane come straight from the Go build cache.
readonly K8S_TAGS="notest,grpcnotrace"
k8s_ldflags() {
  local build_date flags pkg
  build_date="$(cd "$NODE_DIR/k8s" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  [[ -n "$build_date" ]] || build_date="1970-01-01T00:00:00Z"
  flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$K8S_MAJOR -X $pkg.gitMinor=$K8S_MINOR"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  echo "$flags"
}
K8S_LDFLAGS="$(k8s_ldflags)"
readonly K8S_LDFLAGS
readonly CONTAINERD_LDFLAGS="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION -X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2"
readonly CNI_LDFLAGS="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_VERSION"
readonly PAUSE_LDFLAGS="-s -w"
readonly COREDNS_LDFLAGS="-s -w"
# metrics-server reports client-go's version as its own (its Makefile does the same).
readonly METRICS_SERVER_LDFLAGS="-s -w -X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION"
readonly KUBE_ROUTER_LDFLAGS="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"

recipe() {
  echo "k8s tags=$K8S_TAGS ldflags=$K8S_LDFLAGS"
  echo "containerd ldflags=$CONTAINERD_LDFLAGS"
  echo "cni ldflags=$CNI_LDFLAGS"
  echo "coredns ldflags=$COREDNS_LDFLAGS"
  echo "metrics-server ldflags=$METRICS_SERVER_LDFLAGS"
  echo "kube-router ldflags=$KUBE_ROUTER_LDFLAGS"
  echo "pause ldflags=$PAUSE_LDFLAGS image=$PAUSE_IMAGE busybox=$BUSYBOX_REPOSITORY"
}

# --print-bin-dir must not install anything, so the busybox version joins
# the key only when dpkg knows it; a build always installs it first.
busybox_version() { dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || echo none; }

cache_key() {
  local module
  {
    for module in "${MODULES[@]}"; do cat "$NODE_DIR/$module/go.mod" "$NODE_DIR/$module/go.sum" 2>/dev/null || true; done
    cat "$NODE_DIR/pause/main.go" "$NODE_DIR/oci-image.sh"
    go version
    recipe
    echo "busybox-static $(busybox_version)"
  } | sha256sum | cut -c1-16
}

ensure_debian_packages() {
  local package missing=()
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
  done
  (( ${#missing[@]} == 0 )) && return 0
  say "installing Debian packages: ${missing[*]}"
  [[ "$(id -u)" == 0 ]] || die "installing ${missing[*]} needs root: apt-get install ${missing[*]}"
  local log
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "could not install ${missing[*]}"
  fi
  rm -f "$log"
}

if [[ "${1:-}" == "--print-bin-dir" ]]; then
  echo "$CACHE_ROOT/$K8S_VERSION-$(cache_key)/bin"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-bin-dir])"
fi

ensure_debian_packages
KEY_DIR="$CACHE_ROOT/$K8S_VERSION-$(cache_key)"
readonly KEY_DIR BIN_DIR="$KEY_DIR/bin" CNI_DIR="$KEY_DIR/bin/cni" IMAGE_DIR="$KEY_DIR/images"

# Each component: NAME MODULE PACKAGE OUTPUT_DIR LDFLAGS TAGS
readonly COMPONENTS=(
  "containerd containerd github.com/containerd/containerd/v2/cmd/containerd $BIN_DIR CONTAINERD -"
  "containerd-shim-runc-v2 containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 $BIN_DIR CONTAINERD -"
  "ctr containerd github.com/containerd/containerd/v2/cmd/ctr $BIN_DIR CONTAINERD -"
  "bridge cni github.com/containernetworking/plugins/plugins/main/bridge $CNI_DIR CNI -"
  "host-local cni github.com/containernetworking/plugins/plugins/ipam/host-local $CNI_DIR CNI -"
  "loopback cni github.com/containernetworking/plugins/plugins/main/loopback $CNI_DIR CNI -"
  "portmap cni github.com/containernetworking/plugins/plugins/meta/portmap $CNI_DIR CNI -"
  "pause pause . $BIN_DIR PAUSE -"
  "coredns coredns github.com/coredns/coredns $BIN_DIR COREDNS -"
  "metrics-server metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server $BIN_DIR METRICS_SERVER -"
  "kube-router kube-router github.com/cloudnativelabs/kube-router/v2/cmd/kube-router $BIN_DIR KUBE_ROUTER -"
  "kube-proxy k8s k8s.io/kubernetes/cmd/kube-proxy $BIN_DIR K8S $K8S_TAGS"
  "kubelet k8s k8s.io/kubernetes/cmd/kubelet $BIN_DIR K8S $K8S_TAGS"
)
readonly IMAGES=(pause busybox)

all_present() {
  local entry name _module _package dir _rest image
  for entry in "${COMPONENTS[@]}"; do
    read -r name _module _package dir _rest <<<"$entry"
    [[ -x "$dir/$name" ]] || return 1
  done
  for image in "${IMAGES[@]}"; do [[ -s "$IMAGE_DIR/$image.tar" && -s "$IMAGE_DIR/$image.ref" ]] || return 1; done
}

if all_present; then
  say "node binaries and images for Kubernetes $K8S_VERSION already built in $KEY_DIR"
  echo "$BIN_DIR"
  exit 0
fi

mkdir -p "$BIN_DIR" "$CNI_DIR" "$IMAGE_DIR"
# Two concurrent callers must not both compile; the second waits.
go_tool_lock "$KEY_DIR"

# One component, unless a caller before us built it.
build_one() {
  local name="$1" module="$2" package="$3" dir="$4" flags_name="$5" tags="$6" ldflags started size
  if [[ -x "$dir/$name" ]]; then
    say "  $name: already built"
    return
  fi
  ldflags="${flags_name}_LDFLAGS"
  [[ "$tags" == - ]] && tags=""
  say "  $name: building $package ($module module) ..."
  started=$SECONDS
  go_tool_compile "$name" "$NODE_DIR/$module" "$package" "$dir/$name" -tags="$tags" -ldflags="${!ldflags}"
  size="$(du -h "$dir/$name" | cut -f1)"
  say "  $name: done in $((SECONDS - started))s ($size)"
}

# A rootfs with busybox and a link per applet, so `sh`, `wget`, `nc` and
# `httpd` work as commands.
busybox_rootfs() {
  local root="$1" applet
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
  done
  chmod 1777 "$root/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
}

pack_image() {
  local name="$1" work started
  if [[ -s "$IMAGE_DIR/$name.tar" && -s "$IMAGE_DIR/$name.ref" ]]; then
    say "  image $name: already packed"
    return
  fi
  started=$SECONDS
  work="$(mktemp -d)"
  case "$name" in
    pause)
      mkdir -p "$work/rootfs"
      cp "$BIN_DIR/pause" "$work/rootfs/pause"
      "$NODE_DIR/oci-image.sh" "$work/rootfs" "$PAUSE_IMAGE" "$IMAGE_DIR/pause.tar" '{"Entrypoint":["/pause"]}'
      echo "$PAUSE_IMAGE" >"$IMAGE_DIR/pause.ref"
      ;;
    busybox)
      busybox_rootfs "$work/rootfs"
      # The upstream part of Debian's version (1:1.35.0-4+deb12u1 -> 1.35.0).
      local tag
      tag="$(busybox_version | sed -e 's/^[0-9]*://' -e 's/-.*//')"
      "$NODE_DIR/oci-image.sh" "$work/rootfs" "$BUSYBOX_REPOSITORY:$tag" "$IMAGE_DIR/busybox.tar" \
        '{"Env":["PATH=/bin"],"Cmd":["sh"]}'
      echo "$BUSYBOX_REPOSITORY:$tag" >"$IMAGE_DIR/busybox.ref"
      ;;
  esac
  rm -rf "$work"
  say "  image $name: packed in $((SECONDS - started))s ($(du -h "$IMAGE_DIR/$name.tar" | cut -f1))"
}

say "building the node for Kubernetes $K8S_VERSION, containerd $CONTAINERD_VERSION, CNI plugins $CNI_VERSION, metrics-server $METRICS_SERVER_VERSION, kube-router $KUBE_ROUTER_VERSION with $(go version | cut -d' ' -f3) into $KEY_DIR"
total_started=$SECONDS
# One at a time: each `go build` already uses every core.
for entry in "${COMPONENTS[@]}"; do
  # shellcheck disable=SC2086 # the entry is a list of words
  build_one $entry
done
for image in "${IMAGES[@]}"; do pack_image "$image"; done
say "node built in $((SECONDS - total_started))s"
echo "$BIN_DIR"
