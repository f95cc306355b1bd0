// Dumps Go's goroutine and task summaries (trace.Summarizer, what go tool trace's /goroutines,
// /goroutine and /usertasks pages show) of traces, as golden files for trace-model's summaries.
//
// scripts/gen-summary-goldens.sh copies this file into $(go env GOROOT)/src/internal/trace/ of
// Go 1.27.3 and runs: go test -count=1 -run TestGotraceSummaryGolden internal/trace
// with GOTRACE_SUMMARY_JOBS holding one job a line, "TRACE<TAB>PREFIX" (absolute paths): the
// summaries of TRACE go to PREFIX.goroutines.golden and PREFIX.tasks.golden. The events are
// read and fed exactly as cmd/trace's parseTrace does (every event, in reader order, then
// Finalize); a trace that fails to read is an error here rather than cut at its last sync,
// since the testdata traces all read to the end.
//
// Formats (one JSON object a line, keys in the order below, map keys sorted, no HTML escaping):
//
//	goroutines: sorted by id. {"id","name","pc","creation","start","end","total","exec",
//	  "sched_wait","syscall","syscall_block","block":{reason:ns},"range_time":{name:ns},
//	  "regions":[{"task","name","start","end","start_kind","end_kind", then the same
//	  "total".."range_time" breakdown}]}
//	tasks: sorted by id. {"id","name","parent","children","start","end","goroutines",
//	  "regions","logs"}
//
// Times are trace.Time (ns) as int64. creation/start/end of a goroutine are null when Go holds 0,
// which is how summary.go says "unknown" (never started, never ended); a nonzero value, even a
// negative one (v1 traces start with a Sync at -1), is printed as is. A region's or a task's
// start/end is null when Go's *Event is nil, otherwise that event's Time() as is; start_kind and
// end_kind give the event's Kind() ("RegionBegin", "StateTransition", ...) or null. Durations
// are time.Duration ns. block and range_time are Go's maps as they are, zero entries included.
// Regions are in Go's order (GoroutineSummary.Regions, sorted by start time by Finalize).
// parent is the parent task's id or null, children and goroutines sorted ids (a goroutine id
// may be -1, NoGoroutine, when a task event came from no goroutine), regions and logs counts.
package trace_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"internal/trace"
)

type gotraceSumStats struct {
	Total        int64            `json:"total"`
	Exec         int64            `json:"exec"`
	SchedWait    int64            `json:"sched_wait"`
	Syscall      int64            `json:"syscall"`
	SyscallBlock int64            `json:"syscall_block"`
	Block        map[string]int64 `json:"block"`
	RangeTime    map[string]int64 `json:"range_time"`
}

type gotraceSumRegion struct {
	Task      uint64  `json:"task"`
	Name      string  `json:"name"`
	Start     *int64  `json:"start"`
	End       *int64  `json:"end"`
	StartKind *string `json:"start_kind"`
	EndKind   *string `json:"end_kind"`
	gotraceSumStats
}

type gotraceSumGoroutine struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	PC       uint64 `json:"pc"`
	Creation *int64 `json:"creation"`
	Start    *int64 `json:"start"`
	End      *int64 `json:"end"`
	gotraceSumStats
	Regions []gotraceSumRegion `json:"regions"`
}

type gotraceSumTask struct {
	ID         uint64   `json:"id"`
	Name       string   `json:"name"`
	Parent     *uint64  `json:"parent"`
	Children   []uint64 `json:"children"`
	Start      *int64   `json:"start"`
	End        *int64   `json:"end"`
	Goroutines []int64  `json:"goroutines"`
	Regions    int      `json:"regions"`
	Logs       int      `json:"logs"`
}

// gotraceSumTime is Go's "0 means unknown" time as a nullable number.
func gotraceSumTime(t trace.Time) *int64 {
	if t == 0 {
		return nil
	}
	v := int64(t)
	return &v
}

func gotraceSumEvTime(ev *trace.Event) *int64 {
	if ev == nil {
		return nil
	}
	v := int64(ev.Time())
	return &v
}

func gotraceSumEvKind(ev *trace.Event) *string {
	if ev == nil {
		return nil
	}
	k := ev.Kind().String()
	return &k
}

func gotraceSumDurs(m map[string]time.Duration) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = int64(v)
	}
	return out
}

func gotraceSumStatsOf(s trace.GoroutineExecStats) gotraceSumStats {
	return gotraceSumStats{
		Total:        int64(s.TotalTime),
		Exec:         int64(s.ExecTime),
		SchedWait:    int64(s.SchedWaitTime),
		Syscall:      int64(s.SyscallTime),
		SyscallBlock: int64(s.SyscallBlockTime),
		Block:        gotraceSumDurs(s.BlockTimeByReason),
		RangeTime:    gotraceSumDurs(s.RangeTime),
	}
}

func gotraceSumLine(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf) // Encode ends each value with a newline
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func gotraceSummarize(path string) (*trace.Summary, error) {
	events, err := gotraceEvents(path)
	if err != nil {
		return nil, err
	}
	// The summarizer keeps pointers to region and task events: into the one slice, as in
	// cmd/trace.
	s := trace.NewSummarizer()
	for i := range events {
		s.Event(&events[i])
	}
	return s.Finalize(), nil
}

func TestGotraceSummaryGolden(t *testing.T) {
	gotraceJobs(t, "GOTRACE_SUMMARY_JOBS", func(path, prefix string) {
		sum, err := gotraceSummarize(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}

		var gbuf bytes.Buffer
		for _, id := range slices.Sorted(maps.Keys(sum.Goroutines)) {
			g := sum.Goroutines[id]
			out := gotraceSumGoroutine{
				ID:              int64(g.ID),
				Name:            g.Name,
				PC:              g.PC,
				Creation:        gotraceSumTime(g.CreationTime),
				Start:           gotraceSumTime(g.StartTime),
				End:             gotraceSumTime(g.EndTime),
				gotraceSumStats: gotraceSumStatsOf(g.GoroutineExecStats),
				Regions:         []gotraceSumRegion{},
			}
			for _, r := range g.Regions {
				out.Regions = append(out.Regions, gotraceSumRegion{
					Task:            uint64(r.TaskID),
					Name:            r.Name,
					Start:           gotraceSumEvTime(r.Start),
					End:             gotraceSumEvTime(r.End),
					StartKind:       gotraceSumEvKind(r.Start),
					EndKind:         gotraceSumEvKind(r.End),
					gotraceSumStats: gotraceSumStatsOf(r.GoroutineExecStats),
				})
			}
			if err := gotraceSumLine(&gbuf, out); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(prefix+".goroutines.golden", gbuf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}

		var tbuf bytes.Buffer
		for _, id := range slices.Sorted(maps.Keys(sum.Tasks)) {
			task := sum.Tasks[id]
			out := gotraceSumTask{
				ID:         uint64(task.ID),
				Name:       task.Name,
				Children:   []uint64{},
				Start:      gotraceSumEvTime(task.Start),
				End:        gotraceSumEvTime(task.End),
				Goroutines: []int64{},
				Regions:    len(task.Regions),
				Logs:       len(task.Logs),
			}
			if task.Parent != nil {
				p := uint64(task.Parent.ID)
				out.Parent = &p
			}
			for _, c := range task.Children {
				out.Children = append(out.Children, uint64(c.ID))
			}
			slices.Sort(out.Children)
			for gid := range task.Goroutines {
				out.Goroutines = append(out.Goroutines, int64(gid))
			}
			slices.Sort(out.Goroutines)
			if err := gotraceSumLine(&tbuf, out); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(prefix+".tasks.golden", tbuf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}
