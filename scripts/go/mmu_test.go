// Dumps Go's minimum mutator utilization (trace.MutatorUtilizationV2 and trace.MMUCurve, what
// go tool trace's /mmu page plots and lists) of traces, as golden files for trace-model's MMU.
//
// scripts/gen-summary-goldens.sh copies this file into $(go env GOROOT)/src/internal/trace/ of
// Go 1.27.3 and runs: go test -count=1 -run TestGotraceMMUGolden internal/trace
// with GOTRACE_MMU_JOBS holding one job a line, "TRACE<TAB>PREFIX" (absolute paths): the MMU
// of TRACE goes to PREFIX.mmu.golden. As in cmd/trace, the events are every event the reader
// gives, in order, in one slice.
//
// The /mmu page lets one pick the view (System, or Per-goroutine = perProc) and which GC work
// counts against the mutator (stw, background, assist, sweep; stw|background|assist checked by
// default), and sends them as ?flags=perProc|stw|...; the combinations dumped are named the
// same way. For each, in this order, lines of space-separated fields:
//
//	FLAGS <name> series=<number of utilization functions> points=<points in each, comma-separated>
//	UTIL <name> <series index> <time ns> <util %.17g>     one line per point of each function
//	MMU <name> <window ns> <mmu %.17g>                    for each window, 1µs to 1s by 10x
//	WORST <name> <window ns> <rank> <time ns> <duration ns> <util %.17g>
//	                                                      Examples(window, 5), Go's order
//
// duration is the window. Windows longer than a utilization function are clamped to its length
// by Go (MMUCurve.mmu); the dump shows the requested window.
package trace_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"internal/trace"
)

var gotraceMMUFlagSets = []struct {
	name  string
	flags trace.UtilFlags
}{
	{"stw|background|assist", trace.UtilSTW | trace.UtilBackground | trace.UtilAssist},
	{"stw|background|assist|sweep", trace.UtilSTW | trace.UtilBackground | trace.UtilAssist | trace.UtilSweep},
	{"stw", trace.UtilSTW},
	{"background", trace.UtilBackground},
	{"assist", trace.UtilAssist},
	{"sweep", trace.UtilSweep},
	{"none", 0},
	{"perProc|stw|background|assist", trace.UtilPerProc | trace.UtilSTW | trace.UtilBackground | trace.UtilAssist},
	{"perProc|stw|background|assist|sweep", trace.UtilPerProc | trace.UtilSTW | trace.UtilBackground | trace.UtilAssist | trace.UtilSweep},
	{"perProc|background", trace.UtilPerProc | trace.UtilBackground},
}

var gotraceMMUWindows = []time.Duration{
	time.Microsecond, 10 * time.Microsecond, 100 * time.Microsecond,
	time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, time.Second,
}

func TestGotraceMMUGolden(t *testing.T) {
	gotraceJobs(t, "GOTRACE_MMU_JOBS", func(path, prefix string) {
		events, err := gotraceEvents(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var b bytes.Buffer
		for _, fs := range gotraceMMUFlagSets {
			util := trace.MutatorUtilizationV2(events, fs.flags)
			points := make([]string, len(util))
			for i, u := range util {
				points[i] = fmt.Sprint(len(u))
			}
			fmt.Fprintf(&b, "FLAGS %s series=%d points=%s\n", fs.name, len(util), strings.Join(points, ","))
			for i, u := range util {
				for _, p := range u {
					fmt.Fprintf(&b, "UTIL %s %d %d %.17g\n", fs.name, i, p.Time, p.Util)
				}
			}
			curve := trace.NewMMUCurve(util)
			for _, w := range gotraceMMUWindows {
				fmt.Fprintf(&b, "MMU %s %d %.17g\n", fs.name, int64(w), curve.MMU(w))
			}
			for _, w := range gotraceMMUWindows {
				for rank, ex := range curve.Examples(w, 5) {
					fmt.Fprintf(&b, "WORST %s %d %d %d %d %.17g\n", fs.name, int64(w), rank, ex.Time, int64(w), ex.MutatorUtil)
				}
			}
		}
		if err := os.WriteFile(prefix+".mmu.golden", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}
