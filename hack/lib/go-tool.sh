# shellcheck shell=bash
# Sourced by the hack/build-*.sh scripts that build pinned Go programs into
# ~/.cache once: one each (porcupine, helm, promtool) or several under one
# key (k8s, node). The pinned Go environment, the build lock, and the build
# itself. Expects die() and say() from the script that sources it.

# shellcheck disable=SC2034 # used by the scripts that source this
readonly GO_TOOL_CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/distributed-cache"

# Checks that Go is there and pins its environment: the module pins
# everything, so no parent go.work, toolchain download or go.mod rewrite may
# change what gets built. $1 says what needs Go, for the error.
go_tool_require_go() {
  command -v go >/dev/null 2>&1 \
    || die "'go' is not on PATH; install Go >= 1.26 (the module's go directive) to build $1"
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly
}

# The module's version of a dependency, as go.mod pins it.
go_tool_module_version() {
  local module_dir="$1" module="$2"
  (cd "$module_dir" && go list -m -f '{{.Version}}' "$module")
}

# Takes DIR/build.lock until go_tool_unlock (or the script's exit), so that
# two concurrent callers never both compile: the second waits, then finds
# the binaries built.
go_tool_lock() {
  mkdir -p "$1"
  exec 9>"$1/build.lock"
  flock 9
}

go_tool_unlock() {
  exec 9>&-
}

# Runs `go build` of PACKAGE of the module in MODULE_DIR into OUTPUT, with
# no lock and no progress lines. Goes through a hidden temporary name,
# renamed when complete, so an interrupted build never leaves a truncated
# binary that a later -x test would accept. At the lowest priority: these
# 2-core machines are shared with tests. The remaining arguments go to
# `go build` (-tags, -ldflags).
#   go_tool_compile NAME MODULE_DIR PACKAGE OUTPUT [go build flags...]
go_tool_compile() {
  local name="$1" module_dir="$2" package="$3" output="$4" partial
  shift 4
  partial="${output%/*}/.${output##*/}.partial"
  (cd "$module_dir" && nice -n 19 go build -trimpath "$@" -o "$partial" "$package") \
    || die "go build of $name failed (see output above)"
  mv -f "$partial" "$output"
}

# Builds one program to OUTPUT, once, whoever else asks at the same time:
# concurrent callers wait on the lock in OUTPUT's directory and then find it
# built.
#   go_tool_build NAME MODULE_DIR PACKAGE OUTPUT [go build flags...]
go_tool_build() {
  local name="$1" module_dir="$2" package="$3" output="$4" started
  shift 4
  go_tool_lock "${output%/*}"
  if [[ -x "$output" ]]; then
    say "$name: built meanwhile by another caller"
  else
    say "building $name ($package) with $(go version | cut -d' ' -f3) into ${output%/*}"
    started=$SECONDS
    go_tool_compile "$name" "$module_dir" "$package" "$output" "$@"
    say "$name built in $((SECONDS - started))s ($(du -h "$output" | cut -f1))"
  fi
  go_tool_unlock
}
