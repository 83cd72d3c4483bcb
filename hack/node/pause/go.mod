// The pod sandbox ("pause") program of the test node: see main.go.
module distributed-cache.invalid/hack/node/pause

go 1.26.0
