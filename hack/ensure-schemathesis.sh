#!/usr/bin/env bash
# Installs schemathesis (the API fuzzer the contract test runs) from PyPI into
# its own virtualenv under ~/.cache, once per pinned version. Prints the path
# of its `schemathesis` executable. Idempotent: a warm run only checks a file.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
dir="${XDG_CACHE_HOME:-$HOME/.cache}/distributed-cache/schemathesis/$SCHEMATHESIS_VERSION"
bin="$dir/bin/schemathesis"


if [ ! -x "$bin" ] || [ ! -f "$dir/.installed" ]; then
  # Debian splits venv (and its ensurepip) out of python3.
  if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    echo "ensure-schemathesis: installing python3 and python3-venv from Debian" >&2
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  fi
  echo "ensure-schemathesis: installing schemathesis $SCHEMATHESIS_VERSION into $dir" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  touch "$dir/.installed"
fi
echo "$bin"
