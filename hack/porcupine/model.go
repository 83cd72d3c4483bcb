package main

import (
	"hash/fnv"
	"math"
	"sort"
	"strconv"

	"github.com/anishathalye/porcupine"
)

// kvInput is an operation's porcupine Input.
type kvInput struct {
	op    string // "get", "put" or "del"
	key   string
	value string // put only
}

// kvOutput is an operation's porcupine Output.
type kvOutput struct {
	unknown bool   // no answer: the op may or may not have taken effect
	found   bool   // get: the key held a value; del: the key existed
	value   string // get with found
}

// register is the per-key state. It is comparable, so porcupine's default
// == equality applies.
type register struct {
	present bool
	value   string
}

// opMeta rides along as porcupine Metadata so that operations coming back in
// partial linearizations can be matched to the input, and so the
// visualisation can show the real client number.
type opMeta struct {
	index  int // position in the input file
	client int
}

var kvModel = porcupine.Model{
	Partition:                 partitionByKey,
	Init:                      func() interface{} { return register{} },
	Step:                      step,
	Hash:                      hashRegister,
	DescribeOperation:         describeOperation,
	DescribeState:             describeState,
	DescribeOperationMetadata: func(m interface{}) string { return "client=" + strconv.Itoa(m.(opMeta).client) },
}

// partitionByKey splits the history into one register per key, in sorted
// key order, so partition i of the LinearizationInfo is sortedKeys(...)[i].
// Histories are checked as Operations, so PartitionEvent is not needed.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	for _, op := range history {
		k := op.Input.(kvInput).key
		byKey[k] = append(byKey[k], op)
	}
	parts := make([][]porcupine.Operation, 0, len(byKey))
	for _, k := range sortedKeys(byKey) {
		parts = append(parts, byKey[k])
	}
	return parts
}

func sortedKeys(byKey map[string][]porcupine.Operation) []string {
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func step(state, input, output interface{}) (bool, interface{}) {
	s, in, out := state.(register), input.(kvInput), output.(kvOutput)
	switch in.op {
	case "put":
		return true, register{present: true, value: in.value}
	case "del":
		// An unanswered del still removes the value if it took effect;
		// whether it did is decided by where porcupine places it.
		return out.unknown || out.found == s.present, register{}
	default: // get
		if out.unknown {
			return true, s
		}
		return out.found == s.present && (!out.found || out.value == s.value), s
	}
}

func hashRegister(state interface{}) uint64 {
	s := state.(register)
	if !s.present {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(s.value))
	return h.Sum64() | 1
}

func describeOperation(input, output interface{}) string {
	in, out := input.(kvInput), output.(kvOutput)
	var call, result string
	switch in.op {
	case "put":
		return "put(" + in.key + ", " + in.value + ")" + unknownSuffix(out)
	case "del":
		call, result = "del("+in.key+")", "absent"
		if out.found {
			result = "existed"
		}
	default:
		call, result = "get("+in.key+")", "absent"
		if out.found {
			result = out.value
		}
	}
	if out.unknown {
		return call + unknownSuffix(out)
	}
	return call + " -> " + result
}

func unknownSuffix(out kvOutput) string {
	if out.unknown {
		return " -> ?"
	}
	return ""
}

func describeState(state interface{}) string {
	s := state.(register)
	if !s.present {
		return "(absent)"
	}
	return s.value
}

// neverReturned is the return time of an unanswered operation: it may take
// effect at any point after its call, or never (it linearizes after
// everything else), as porcupine users model crashed clients.
const neverReturned = math.MaxInt64
