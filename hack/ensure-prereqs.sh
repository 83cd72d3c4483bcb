#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a fresh Debian machine:
# Debian's zookeeper (a JVM service the tests start themselves), wrk and
# redis (redis-server, redis-benchmark: the bench's reference row) for the
# benchmark, iproute2 and iptables for the tests' network lab
# (test/support/lab/), and schemathesis for the API contract test (from PyPI,
# into a virtualenv under ~/.cache: hack/ensure-schemathesis.sh).
# Idempotent: it does nothing when everything is present.
set -euo pipefail

need=()
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
command -v java >/dev/null || need+=(default-jre-headless)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v wrk >/dev/null || need+=(wrk)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-benchmark >/dev/null || need+=(redis-tools)
command -v ip >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)

if [ "${#need[@]}" -gt 0 ]; then
  echo "ensure-prereqs: installing ${need[*]} from Debian" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

"$(dirname "$0")/ensure-schemathesis.sh" >/dev/null
