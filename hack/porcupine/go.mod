// dcache-history-check: checks histories recorded by the TypeScript tests for
// linearizability with porcupine. Built by hack/build-porcupine.sh.
module distributed-cache.invalid/hack/porcupine

go 1.26

require github.com/anishathalye/porcupine v1.3.1
