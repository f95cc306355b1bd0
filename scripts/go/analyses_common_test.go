// What the summary and MMU dumpers (summary_test.go, mmu_test.go) share; copied into GOROOT
// beside them by scripts/gen-summary-goldens.sh.
package trace_test

import (
	"bufio"
	"io"
	"os"
	"strings"
	"testing"

	"internal/trace"
)

// gotraceJobs reads the jobs in environment variable env, one "TRACE<TAB>PREFIX" a line, and
// calls do for each; the test is skipped when env is unset.
func gotraceJobs(t *testing.T, env string, do func(path, prefix string)) {
	jobs := os.Getenv(env)
	if jobs == "" {
		t.Skip(env + " not set")
	}
	for _, job := range strings.Split(jobs, "\n") {
		if job == "" {
			continue
		}
		path, prefix, ok := strings.Cut(job, "\t")
		if !ok {
			t.Fatalf("bad job %q", job)
		}
		do(path, prefix)
	}
}

// gotraceEvents reads every event of the trace at path, in order, into one slice, as
// cmd/trace's parseTrace does.
func gotraceEvents(path string) ([]trace.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := trace.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	var events []trace.Event
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			return events, nil
		}
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
}
