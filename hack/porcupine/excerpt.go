package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/anishathalye/porcupine"
)

// maxExcerpt bounds an excerpt: enough to see the conflict, short enough to
// read in a test failure.
const maxExcerpt = 12

// failure describes one key whose history is not linearizable.
type failure struct {
	Key        string   `json:"key"`
	Operations int      `json:"operations"` // checked operations of this key
	Linearized int      `json:"linearized"` // length of the longest partial linearization
	Stuck      string   `json:"stuck"`      // the first operation that could not be linearized
	Excerpt    []string `json:"excerpt"`    // the operations around it, by call time
	// Incomplete: porcupine ran out of time, and a key cut short looks the
	// same as an illegal one in the LinearizationInfo.
	Incomplete bool `json:"incomplete,omitempty"`
}

// findFailures reports each partition (key) that no partial linearization
// covers completely. parts must be the partitions porcupine checked, in order.
func findFailures(parts [][]porcupine.Operation, info porcupine.LinearizationInfo, timedOut bool) []failure {
	partials := info.PartialLinearizationsOperations()
	failures := []failure{}
	for i, part := range parts {
		longest := longestPartial(partials[i])
		if len(longest) == len(part) {
			continue
		}
		stuck, ops := excerptOps(part, longest)
		lines, stuckLine := formatExcerpt(ops, stuck)
		failures = append(failures, failure{
			Key:        part[0].Input.(kvInput).key,
			Operations: len(part),
			Linearized: len(longest),
			Stuck:      stuckLine,
			Excerpt:    lines,
			Incomplete: timedOut,
		})
	}
	return failures
}

// longestPartial picks the longest partial linearization; ties go to the
// smallest sequence of input positions, so the output is deterministic.
func longestPartial(partials [][]porcupine.Operation) []porcupine.Operation {
	var best []porcupine.Operation
	for _, p := range partials {
		if best == nil || len(p) > len(best) || (len(p) == len(best) && lessSeq(p, best)) {
			best = p
		}
	}
	return best
}

func lessSeq(a, b []porcupine.Operation) bool {
	for i := range a {
		if ia, ib := index(a[i]), index(b[i]); ia != ib {
			return ia < ib
		}
	}
	return false
}

// excerptOps finds where the longest partial linearization gets stuck. After
// it, the pending operation that returns first (stuck) had to be placed next
// and could not be: no pending operation called before that return fits the
// state. The excerpt holds, most relevant first and up to maxExcerpt: stuck,
// the put whose value stuck read, the last linearized operation, the other
// answered pending operations porcupine tried at that point, then every
// operation overlapping [last linearized call, stuck return].
func excerptOps(part, longest []porcupine.Operation) (porcupine.Operation, []porcupine.Operation) {
	pending := notIn(part, longest)
	sortBy(pending, func(a, b porcupine.Operation) bool { return a.Return < b.Return })
	stuck := pending[0]
	end, start := stuck.Return, int64(math.MinInt64)
	picked := append([]porcupine.Operation{stuck}, writerOf(part, stuck)...)
	if len(longest) > 0 {
		last := longest[len(longest)-1]
		start = last.Call
		picked = append(picked, last)
	}
	// Every pending op returns at or after end, so these are the ones
	// porcupine tried. Unanswered ones are left to the window below: each
	// overlaps everything after its call, and one called long ago is rarely
	// the one to look at.
	for _, op := range overlapping(pending, end, end) {
		if op.Return != neverReturned {
			picked = append(picked, op)
		}
	}
	picked = append(picked, overlapping(part, start, end)...)
	picked = firstUnique(picked, maxExcerpt)
	sortBy(picked, func(a, b porcupine.Operation) bool { return a.Call < b.Call })
	return stuck, picked
}

// notIn returns the operations of part that are not in done.
func notIn(part, done []porcupine.Operation) []porcupine.Operation {
	seen := map[int]bool{}
	for _, op := range done {
		seen[index(op)] = true
	}
	var rest []porcupine.Operation
	for _, op := range part {
		if !seen[index(op)] {
			rest = append(rest, op)
		}
	}
	return rest
}

// overlapping returns the operations whose [call, return] meets [from, to],
// latest call (nearest the stuck point) first.
func overlapping(ops []porcupine.Operation, from, to int64) []porcupine.Operation {
	var out []porcupine.Operation
	for _, op := range ops {
		if op.Call <= to && op.Return >= from {
			out = append(out, op)
		}
	}
	sortBy(out, func(a, b porcupine.Operation) bool { return a.Call > b.Call })
	return out
}

// writerOf returns the latest-called put of the value a get returned, which
// is what a stale read is usually compared against.
func writerOf(part []porcupine.Operation, get porcupine.Operation) []porcupine.Operation {
	in, out := get.Input.(kvInput), get.Output.(kvOutput)
	if in.op != "get" || !out.found {
		return nil
	}
	var best []porcupine.Operation
	for _, op := range part {
		w := op.Input.(kvInput)
		if w.op == "put" && w.value == out.value && op.Call <= get.Return && (best == nil || op.Call > best[0].Call) {
			best = []porcupine.Operation{op}
		}
	}
	return best
}

func firstUnique(ops []porcupine.Operation, limit int) []porcupine.Operation {
	seen := map[int]bool{}
	var out []porcupine.Operation
	for _, op := range ops {
		if !seen[index(op)] && len(out) < limit {
			seen[index(op)] = true
			out = append(out, op)
		}
	}
	return out
}

// sortBy sorts stably by less, then by input position, for deterministic output.
func sortBy(ops []porcupine.Operation, less func(a, b porcupine.Operation) bool) {
	sort.SliceStable(ops, func(i, j int) bool {
		if less(ops[i], ops[j]) != less(ops[j], ops[i]) {
			return less(ops[i], ops[j])
		}
		return index(ops[i]) < index(ops[j])
	})
}

// formatExcerpt renders ops with times in microseconds after the first call.
func formatExcerpt(ops []porcupine.Operation, stuck porcupine.Operation) (lines []string, stuckLine string) {
	base := ops[0].Call
	for _, op := range ops {
		line := formatOp(op, base)
		lines = append(lines, line)
		if index(op) == index(stuck) {
			stuckLine = line
		}
	}
	return lines, stuckLine
}

func formatOp(op porcupine.Operation, base int64) string {
	ret := "none"
	if op.Return != neverReturned {
		ret = micros(op.Return - base)
	}
	return fmt.Sprintf("client=%d %s call=%s return=%s",
		op.Metadata.(opMeta).client, describeOperation(op.Input, op.Output), micros(op.Call-base), ret)
}

func micros(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e3, 'f', -1, 64) + "us"
}

func index(op porcupine.Operation) int { return op.Metadata.(opMeta).index }
