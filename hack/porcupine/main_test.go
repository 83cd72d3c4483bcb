package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runHistory runs the command on the given operations, as the TypeScript
// tests would, and decodes its report.
func runHistory(t *testing.T, ops ...string) (int, report, string) {
	t.Helper()
	dir := t.TempDir()
	history := filepath.Join(dir, "history.json")
	viz := filepath.Join(dir, "out.html")
	body := `{"operations": [` + strings.Join(ops, ",\n") + `]}`
	if err := os.WriteFile(history, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"--history", history, "--visualize", viz, "--timeout", "10s"}, &stdout, &stderr)
	var rep report
	if code != exitBadInput {
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("stdout is not a report: %v\n%s", err, stdout.String())
		}
		if _, err := os.Stat(rep.Visualization); err != nil {
			t.Errorf("no visualisation: %v", err)
		}
	}
	return code, rep, stderr.String()
}

func expectResult(t *testing.T, code int, rep report, want string, wantCode int) {
	t.Helper()
	if code != wantCode || rep.Result != want {
		t.Fatalf("got exit %d result %q, want exit %d result %q; failures: %+v", code, rep.Result, wantCode, want, rep.Failures)
	}
}

func TestSequentialHistoryIsOK(t *testing.T) {
	code, rep, _ := runHistory(t,
		`{"client": 1, "op": "get", "key": "k1", "call": 0, "return": 10, "output": {"found": false}}`,
		`{"client": 1, "op": "put", "key": "k1", "value": "a", "call": 20, "return": 30, "output": {}}`,
		`{"client": 2, "op": "get", "key": "k1", "call": 40, "return": 50, "output": {"found": true, "value": "a"}}`,
		`{"client": 2, "op": "put", "key": "k2", "value": "x", "call": 40, "return": 50, "output": {}}`,
		`{"client": 3, "op": "del", "key": "k1", "call": 60, "return": 70, "output": {"existed": true}}`,
		`{"client": 3, "op": "del", "key": "k1", "call": 80, "return": 90, "output": {"existed": false}}`,
		`{"client": 1, "op": "get", "key": "k2", "call": 80, "return": 90, "output": {"found": true, "value": "x"}}`,
	)
	expectResult(t, code, rep, "ok", exitOK)
	if rep.Operations != 7 || rep.Keys != 2 || len(rep.Failures) != 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestStaleReadIsIllegal(t *testing.T) {
	code, rep, stderr := runHistory(t,
		`{"client": 1, "op": "put", "key": "k1", "value": "a", "call": 0, "return": 1000, "output": {}}`,
		`{"client": 1, "op": "put", "key": "k1", "value": "b", "call": 2000, "return": 3000, "output": {}}`,
		`{"client": 2, "op": "get", "key": "k1", "call": 4000, "return": 5000, "output": {"found": true, "value": "a"}}`,
		`{"client": 3, "op": "put", "key": "k2", "value": "x", "call": 0, "return": 5000, "output": {}}`,
	)
	expectResult(t, code, rep, "illegal", exitIllegal)
	if len(rep.Failures) != 1 || rep.Failures[0].Key != "k1" {
		t.Fatalf("failures %+v, want one for k1", rep.Failures)
	}
	f := rep.Failures[0]
	const stale = "client=2 get(k1) -> a call=4us return=5us"
	if f.Stuck != stale || !contains(f.Excerpt, stale) {
		t.Errorf("stuck %q, excerpt %q; want both to name %q", f.Stuck, f.Excerpt, stale)
	}
	if !contains(f.Excerpt, "client=1 put(k1, b) call=2us return=3us") {
		t.Errorf("excerpt %q lacks the overwriting put", f.Excerpt)
	}
	if !strings.Contains(stderr, stale+"   <- cannot be linearized") {
		t.Errorf("stderr does not point at the stale read:\n%s", stderr)
	}
}

func TestUnknownPutNeverObservedIsOK(t *testing.T) {
	code, rep, _ := runHistory(t,
		`{"client": 1, "op": "put", "key": "k1", "value": "a", "call": 0, "return": 10, "output": {}}`,
		`{"client": 2, "op": "put", "key": "k1", "value": "lost", "call": 20, "return": null, "output": {"unknown": true}}`,
		`{"client": 1, "op": "get", "key": "k1", "call": 30, "return": 40, "output": {"found": true, "value": "a"}}`,
		`{"client": 1, "op": "get", "key": "k1", "call": 50, "return": 60, "output": {"found": true, "value": "a"}}`,
	)
	expectResult(t, code, rep, "ok", exitOK)
}

func TestUnknownPutObservedLaterIsOK(t *testing.T) {
	code, rep, _ := runHistory(t,
		`{"client": 1, "op": "put", "key": "k1", "value": "a", "call": 0, "return": 10, "output": {}}`,
		`{"client": 2, "op": "put", "key": "k1", "value": "late", "call": 20, "return": null, "output": {"unknown": true}}`,
		`{"client": 1, "op": "get", "key": "k1", "call": 30, "return": 40, "output": {"found": true, "value": "a"}}`,
		`{"client": 1, "op": "get", "key": "k1", "call": 50, "return": 60, "output": {"found": true, "value": "late"}}`,
		`{"client": 3, "op": "get", "key": "k1", "call": 55, "return": null, "output": {"unknown": true}}`,
	)
	expectResult(t, code, rep, "ok", exitOK)
}

func TestWrongExistedFlagIsIllegal(t *testing.T) {
	code, rep, _ := runHistory(t,
		`{"client": 1, "op": "put", "key": "k1", "value": "a", "call": 0, "return": 10, "output": {}}`,
		`{"client": 2, "op": "del", "key": "k1", "call": 20, "return": 30, "output": {"existed": false}}`,
	)
	expectResult(t, code, rep, "illegal", exitIllegal)
	if len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].Stuck, "del(k1) -> absent") {
		t.Errorf("failures %+v, want the del", rep.Failures)
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	code, _, stderr := runHistory(t, `{"client": 1, "op": "cas", "key": "k1", "call": 0, "return": 10, "output": {}}`)
	if code != exitBadInput || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr %q; want 2 and one line", code, stderr)
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
