// Command dcache-history-check checks a history recorded by the TypeScript
// tests against a per-key register model with porcupine.
//
//	dcache-history-check --history FILE.json --visualize OUT.html [--timeout 60s]
//
// It prints one JSON object on stdout and exits 0 (linearizable), 1 (not
// linearizable), 3 (timed out, unknown) or 2 (bad usage or input).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

const (
	exitOK       = 0
	exitIllegal  = 1
	exitBadInput = 2
	exitUnknown  = 3
)

// rawOp is one element of the input file's "operations". Pointers tell a
// missing field from a zero value.
type rawOp struct {
	Client *int       `json:"client"`
	Op     string     `json:"op"`
	Key    *string    `json:"key"`
	Value  *string    `json:"value"`
	Call   *int64     `json:"call"`
	Return *int64     `json:"return"`
	Output *rawOutput `json:"output"`
}

type rawOutput struct {
	Found   *bool   `json:"found"`
	Value   *string `json:"value"`
	Existed *bool   `json:"existed"`
	Unknown bool    `json:"unknown"`
}

type report struct {
	Result        string    `json:"result"`
	Operations    int       `json:"operations"`
	Keys          int       `json:"keys"`
	Visualization string    `json:"visualization"`
	Failures      []failure `json:"failures"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	// A panic would print a Go stack trace; callers expect one line.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "dcache-history-check: internal error: %v\n", r)
			code = exitBadInput
		}
	}()
	historyPath, vizPath, timeout, err := parseFlags(args)
	if err != nil {
		return fail(stderr, err)
	}
	ops, err := readHistory(historyPath)
	if err != nil {
		return fail(stderr, err)
	}
	rep, info, err := check(ops, timeout)
	if err != nil {
		return fail(stderr, err)
	}
	if rep.Visualization, err = filepath.Abs(vizPath); err != nil {
		return fail(stderr, err)
	}
	if err := porcupine.VisualizePath(kvModel, info, rep.Visualization); err != nil {
		return fail(stderr, fmt.Errorf("writing the visualisation: %w", err))
	}
	printSummary(stderr, rep)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return fail(stderr, err)
	}
	return map[string]int{"ok": exitOK, "illegal": exitIllegal, "unknown": exitUnknown}[rep.Result]
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "dcache-history-check: error: %v\n", err)
	return exitBadInput
}

func parseFlags(args []string) (history, viz string, timeout time.Duration, err error) {
	fs := flag.NewFlagSet("dcache-history-check", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one-line errors only; the usage is in the message
	fs.StringVar(&history, "history", "", "the history `FILE.json` to check")
	fs.StringVar(&viz, "visualize", "", "where to write the porcupine visualisation (`OUT.html`)")
	fs.DurationVar(&timeout, "timeout", 60*time.Second, "give up (result unknown) after this long; 0 means no limit")
	if err = fs.Parse(args); err != nil {
		return "", "", 0, fmt.Errorf("%v (usage: --history FILE.json --visualize OUT.html [--timeout 60s])", err)
	}
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case history == "" || viz == "":
		err = errors.New("--history and --visualize are required")
	case timeout < 0:
		err = errors.New("--timeout must not be negative")
	}
	return history, viz, timeout, err
}

// readHistory parses and validates the file into porcupine operations; every
// operation of the file is returned, unknown gets included.
func readHistory(path string) ([]porcupine.Operation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Operations *[]rawOp `json:"operations"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: not valid history JSON: %v", path, err)
	}
	if file.Operations == nil {
		return nil, fmt.Errorf("%s: no \"operations\" array", path)
	}
	ops := make([]porcupine.Operation, 0, len(*file.Operations))
	for i, raw := range *file.Operations {
		op, err := convert(i, raw)
		if err != nil {
			return nil, fmt.Errorf("%s: operation %d: %v", path, i, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func convert(index int, raw rawOp) (porcupine.Operation, error) {
	var zero porcupine.Operation
	if raw.Client == nil || raw.Key == nil || raw.Call == nil || raw.Output == nil {
		return zero, errors.New(`"client", "key", "call" and "output" are required`)
	}
	in := kvInput{op: raw.Op, key: *raw.Key}
	out := kvOutput{unknown: raw.Output.Unknown}
	ret := int64(neverReturned)
	switch {
	case raw.Return == nil && !out.unknown:
		return zero, errors.New(`"return" is null but output.unknown is not true`)
	case raw.Return != nil && !out.unknown:
		if *raw.Return < *raw.Call {
			return zero, errors.New(`"return" is before "call"`)
		}
		ret = *raw.Return
	}
	// An op marked unknown that still has a return time keeps neverReturned:
	// a 5xx answer does not prove the write will not land later.
	if err := fillOp(&in, &out, raw); err != nil {
		return zero, err
	}
	return porcupine.Operation{
		ClientId: *raw.Client, // remapped to a dense range in check
		Input:    in,
		Call:     *raw.Call,
		Output:   out,
		Return:   ret,
		Metadata: opMeta{index: index, client: *raw.Client},
	}, nil
}

// fillOp checks the fields each kind of operation needs.
func fillOp(in *kvInput, out *kvOutput, raw rawOp) error {
	o := raw.Output
	switch raw.Op {
	case "put":
		if raw.Value == nil {
			return errors.New(`put needs a "value"`)
		}
		in.value = *raw.Value
	case "del":
		if !out.unknown {
			if o.Existed == nil {
				return errors.New(`del needs output.existed (or output.unknown)`)
			}
			out.found = *o.Existed
		}
	case "get":
		if !out.unknown {
			if o.Found == nil || (*o.Found && o.Value == nil) {
				return errors.New(`get needs output.found, and output.value when found (or output.unknown)`)
			}
			out.found = *o.Found
			if out.found {
				out.value = *o.Value
			}
		}
	default:
		return fmt.Errorf(`"op" is %q, want get, put or del`, raw.Op)
	}
	return nil
}

// check runs porcupine over ops and builds the report (without the
// visualisation path).
func check(ops []porcupine.Operation, timeout time.Duration) (report, porcupine.LinearizationInfo, error) {
	hist := checkedOps(ops)
	started := time.Now()
	res, info := porcupine.CheckOperationsVerbose(kvModel, hist, timeout)
	timedOut := timeout > 0 && time.Since(started) >= timeout
	rep := report{Operations: len(ops), Keys: countKeys(ops), Failures: []failure{}}
	switch res {
	case porcupine.Ok:
		rep.Result = "ok"
	case porcupine.Unknown:
		rep.Result = "unknown"
	case porcupine.Illegal:
		rep.Result = "illegal"
		rep.Failures = findFailures(partitionByKey(hist), info, timedOut)
	default:
		return rep, info, fmt.Errorf("porcupine returned %q", res)
	}
	return rep, info, nil
}

// checkedOps drops unanswered gets: one accepts any output and leaves the
// state alone, so it cannot make a history illegal, while its open-ended
// interval would only widen porcupine's search. Client ids are remapped to
// 0..n-1 because the visualisation draws one row per id up to the largest.
func checkedOps(ops []porcupine.Operation) []porcupine.Operation {
	clients := map[int]int{}
	for _, op := range ops {
		clients[op.ClientId] = 0
	}
	ids := make([]int, 0, len(clients))
	for c := range clients {
		ids = append(ids, c)
	}
	sort.Ints(ids)
	for i, c := range ids {
		clients[c] = i
	}
	hist := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		if op.Input.(kvInput).op == "get" && op.Output.(kvOutput).unknown {
			continue
		}
		op.ClientId = clients[op.ClientId]
		hist = append(hist, op)
	}
	return hist
}

func countKeys(ops []porcupine.Operation) int {
	keys := map[string]bool{}
	for _, op := range ops {
		keys[op.Input.(kvInput).key] = true
	}
	return len(keys)
}

func printSummary(stderr io.Writer, rep report) {
	fmt.Fprintf(stderr, "dcache-history-check: %s (%d operations, %d keys); visualisation: %s\n",
		rep.Result, rep.Operations, rep.Keys, rep.Visualization)
	for _, f := range rep.Failures {
		note := ""
		if f.Incomplete {
			note = " (the check timed out, so this key may be linearizable after all)"
		}
		fmt.Fprintf(stderr, "key %s: only %d of its %d operations linearize%s; stuck at:\n  %s\n",
			f.Key, f.Linearized, f.Operations, note, f.Stuck)
		for _, line := range f.Excerpt {
			marker := ""
			if line == f.Stuck {
				marker = "   <- cannot be linearized"
			}
			fmt.Fprintf(stderr, "    %s%s\n", line, marker)
		}
	}
}
