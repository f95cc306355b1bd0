// Dumps what go tool trace's /userregions, /userregion, /usertasks and /usertask pages compute
// (cmd/trace's regions.go and tasks.go over internal/trace's Summarizer), as golden files for
// trace-model's regions module.
//
// scripts/gen-regions-goldens.sh copies this file into $(go env GOROOT)/src/internal/trace/ of
// Go 1.27.3 (with analyses_common_test.go) and runs TestGotraceUserPagesGolden with
// GOTRACE_USERPAGES_JOBS holding one job a line, "TRACE<TAB>PREFIX" (absolute paths): the
// pages of TRACE go to PREFIX.regions.golden and PREFIX.usertasks.golden. cmd/trace is a
// main package, so what its handlers do on top of the summary is done again here, in the same
// steps: events read and summarized as parseTrace does, the trace's start and end taken from
// its first and last events, each region's duration from its start and end events (the
// trace's start or end where one is missing), region groups keyed by type and the outermost
// frame of the region's start stack, the histograms traceviewer.TimeHistogram itself.
//
// Formats (one JSON object a line, keys in the order below, map keys sorted, no HTML escaping;
// durations and times in ns):
//
//	regions: one line per region group, sorted by type, then PC (then function, file, line):
//	  {"type","frame":{"func","file","line","pc"},"count","total","mean","min","max","p50",
//	   "p90","p99","histogram":H,"breakdown":{stat:ns},"range_time":{range:ns},
//	   "regions":[{"goroutine","task","start","end","duration","total","breakdown","range_time"}]}
//	  The group's regions are those of every goroutine (by goroutine ID, each goroutine's in
//	  its order), then sorted by total time, largest first (a stable sort: /userregion sorts
//	  the same way, but unstably, from a map's order). breakdown is NonOverlappingStats (the
//	  /userregion columns), range_time the region's RangeTime; the group's are their sums.
//	  start/end are the start and end events' times, null when missing; duration is what the
//	  histogram gets.
//	usertasks: one line per task type, sorted by type:
//	  {"type","count","complete","incomplete","total","mean","min","max","p50","p90","p99",
//	   "histogram":H,"tasks":[{"id","when","duration","complete","start","end","start_ms",
//	   "end_ms","events":[{"when","elapsed","elapsed_text","goroutine","what"}]}]}
//	  count is every task of the type (the /usertasks Count), the statistics and the histogram
//	  of complete ones only, as there. tasks is the /usertask?type= page: sorted by duration
//	  (stable, from ID order; Go's sort is unstable over a map's order), when the "%2.9fs" of
//	  its start since the trace's start, start and end since the trace's start, start_ms and
//	  end_ms what the page's links carry (floats), events its begin, end, logs and regions'
//	  begins and ends by time with the page's When ("%2.9f"), Elapsed (ns, and as the page
//	  prints it), goroutine and description.
//
//	H = {"count","min_bucket","max_bucket","buckets","lower"}: TimeHistogram's Count,
//	  MinBucket, MaxBucket, its Buckets from MinBucket to MaxBucket and BucketMin of each and of
//	  the one after (the labels the page prints), both empty when Count is 0.
//
// The statistics are not on Go's pages, which draw only the histogram; they are of the same
// durations: total the sum, mean total/count (truncated), min and max, and pN the nearest-rank
// percentile, the smallest duration with at least N% of the durations at or below it (the
// sorted durations' element ceil(N*n/100)-1). All 0 when there are none.
package trace_test

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"internal/trace"
	"internal/trace/traceviewer"
)

type gotraceUPFrame struct {
	Func string `json:"func"`
	File string `json:"file"`
	Line uint64 `json:"line"`
	PC   uint64 `json:"pc"`
}

type gotraceUPHist struct {
	Count     int     `json:"count"`
	MinBucket int     `json:"min_bucket"`
	MaxBucket int     `json:"max_bucket"`
	Buckets   []int   `json:"buckets"`
	Lower     []int64 `json:"lower"`
}

type gotraceUPStats struct {
	Total int64 `json:"total"`
	Mean  int64 `json:"mean"`
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
	P50   int64 `json:"p50"`
	P90   int64 `json:"p90"`
	P99   int64 `json:"p99"`
}

type gotraceUPRegion struct {
	Goroutine int64            `json:"goroutine"`
	Task      uint64           `json:"task"`
	Start     *int64           `json:"start"`
	End       *int64           `json:"end"`
	Duration  int64            `json:"duration"`
	Total     int64            `json:"total"`
	Breakdown map[string]int64 `json:"breakdown"`
	RangeTime map[string]int64 `json:"range_time"`
}

type gotraceUPRegionGroup struct {
	Type  string         `json:"type"`
	Frame gotraceUPFrame `json:"frame"`
	Count int            `json:"count"`
	gotraceUPStats
	Histogram gotraceUPHist     `json:"histogram"`
	Breakdown map[string]int64  `json:"breakdown"`
	RangeTime map[string]int64  `json:"range_time"`
	Regions   []gotraceUPRegion `json:"regions"`
}

type gotraceUPEvent struct {
	When        string `json:"when"`
	Elapsed     int64  `json:"elapsed"`
	ElapsedText string `json:"elapsed_text"`
	Goroutine   int64  `json:"goroutine"`
	What        string `json:"what"`
}

type gotraceUPTask struct {
	ID       uint64           `json:"id"`
	When     string           `json:"when"`
	Duration int64            `json:"duration"`
	Complete bool             `json:"complete"`
	Start    int64            `json:"start"`
	End      int64            `json:"end"`
	StartMs  float64          `json:"start_ms"`
	EndMs    float64          `json:"end_ms"`
	Events   []gotraceUPEvent `json:"events"`
}

type gotraceUPTaskType struct {
	Type       string `json:"type"`
	Count      int    `json:"count"`
	Complete   int    `json:"complete"`
	Incomplete int    `json:"incomplete"`
	gotraceUPStats
	Histogram gotraceUPHist   `json:"histogram"`
	Tasks     []gotraceUPTask `json:"tasks"`
}

func gotraceUPHistOf(h *traceviewer.TimeHistogram) gotraceUPHist {
	out := gotraceUPHist{Count: h.Count, MinBucket: h.MinBucket, MaxBucket: h.MaxBucket,
		Buckets: []int{}, Lower: []int64{}}
	if h.Count == 0 {
		return out
	}
	for i := h.MinBucket; i <= h.MaxBucket; i++ {
		out.Buckets = append(out.Buckets, h.Buckets[i])
		out.Lower = append(out.Lower, int64(h.BucketMin(i)))
	}
	out.Lower = append(out.Lower, int64(h.BucketMin(h.MaxBucket+1)))
	return out
}

func gotraceUPStatsOf(ds []time.Duration) gotraceUPStats {
	var s gotraceUPStats
	if len(ds) == 0 {
		return s
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var total time.Duration
	for _, d := range sorted {
		total += d
	}
	n := len(sorted)
	rank := func(p int) int64 {
		k := (p*n + 99) / 100
		if k < 1 {
			k = 1
		}
		return int64(sorted[k-1])
	}
	s.Total = int64(total)
	s.Mean = int64(total / time.Duration(n))
	s.Min = int64(sorted[0])
	s.Max = int64(sorted[n-1])
	s.P50, s.P90, s.P99 = rank(50), rank(90), rank(99)
	return s
}

func gotraceUPAdd(into map[string]int64, from map[string]time.Duration) {
	for k, v := range from {
		into[k] += int64(v)
	}
}

func gotraceUPDurs(m map[string]time.Duration) map[string]int64 {
	out := map[string]int64{}
	gotraceUPAdd(out, m)
	return out
}

// The outermost frame of the stack the region's start event carries; zero if none.
func gotraceUPFrameOf(r *trace.UserRegionSummary) trace.StackFrame {
	var last trace.StackFrame
	if r.Start == nil || r.Start.Stack() == trace.NoStack {
		return last
	}
	for f := range r.Start.Stack().Frames() {
		last = f
	}
	return last
}

// The span [start, end] given to something that may lack either end.
func gotraceUPSpan(start, end *trace.Event, t0, t1 trace.Time) (trace.Time, trace.Time) {
	a, b := t0, t1
	if start != nil {
		a = start.Time()
	}
	if end != nil {
		b = end.Time()
	}
	return a, b
}

// What the task page says an event is ("" for events it leaves out).
func gotraceUPWhat(ev *trace.Event) string {
	switch ev.Kind() {
	case trace.EventStateTransition:
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			return ""
		}
		from, to := st.Goroutine()
		return fmt.Sprintf("%s -> %s", from, to)
	case trace.EventRegionBegin:
		return fmt.Sprintf("region %q begin", ev.Region().Type)
	case trace.EventRegionEnd:
		return fmt.Sprintf("region %q end", ev.Region().Type)
	case trace.EventTaskBegin:
		tk := ev.Task()
		return fmt.Sprintf("task %q (ID %d, parent %d) begin", tk.Type, tk.ID, tk.Parent)
	case trace.EventTaskEnd:
		return "task end"
	case trace.EventLog:
		l := ev.Log()
		if l.Category != "" {
			return fmt.Sprintf("log (category: %s): %q", l.Category, l.Message)
		}
		return fmt.Sprintf("log %q", l.Message)
	}
	return ""
}

// The goroutine the page shows beside an event.
func gotraceUPGoroutine(ev *trace.Event) trace.GoID {
	if ev.Kind() == trace.EventStateTransition {
		st := ev.StateTransition()
		if st.Resource.Kind == trace.ResourceGoroutine {
			return st.Resource.Goroutine()
		}
		return trace.NoGoroutine
	}
	return ev.Goroutine()
}

// A duration as the page's Elapsed column prints it: seconds with 9 decimals and, below a
// second, the zeros before the first significant digit blanked.
func gotraceUPElapsed(d time.Duration) string {
	b := []byte(fmt.Sprintf("%.9f", d.Seconds()))
	if d < time.Second {
		dot := bytes.IndexByte(b, '.')
		for i := 0; i < dot; i++ {
			b[i] = ' '
		}
		for i := dot + 1; i < len(b) && b[i] == '0'; i++ {
			b[i] = ' '
		}
	}
	return string(b)
}

func gotraceUPTime(ev *trace.Event) *int64 {
	if ev == nil {
		return nil
	}
	v := int64(ev.Time())
	return &v
}

func TestGotraceUserPagesGolden(t *testing.T) {
	gotraceJobs(t, "GOTRACE_USERPAGES_JOBS", func(path, prefix string) {
		events, err := gotraceEvents(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(events) == 0 {
			t.Fatalf("%s: no events", path)
		}
		s := trace.NewSummarizer()
		for i := range events {
			s.Event(&events[i])
		}
		sum := s.Finalize()
		t0, t1 := events[0].Time(), events[len(events)-1].Time()

		// Regions.
		type key struct {
			frame trace.StackFrame
			typ   string
		}
		type group struct {
			out   gotraceUPRegionGroup
			hist  traceviewer.TimeHistogram
			durs  []time.Duration
			order int
		}
		groups := map[key]*group{}
		for _, id := range slices.Sorted(maps.Keys(sum.Goroutines)) {
			g := sum.Goroutines[id]
			for _, r := range g.Regions {
				f := gotraceUPFrameOf(r)
				k := key{f, r.Name}
				gr := groups[k]
				if gr == nil {
					gr = &group{out: gotraceUPRegionGroup{
						Type:      r.Name,
						Frame:     gotraceUPFrame{Func: f.Func, File: f.File, Line: f.Line, PC: f.PC},
						Breakdown: map[string]int64{},
						RangeTime: map[string]int64{},
						Regions:   []gotraceUPRegion{},
					}}
					groups[k] = gr
				}
				a, b := gotraceUPSpan(r.Start, r.End, t0, t1)
				d := b.Sub(a)
				gr.hist.Add(d)
				gr.durs = append(gr.durs, d)
				nonOverlapping := r.NonOverlappingStats()
				gotraceUPAdd(gr.out.Breakdown, nonOverlapping)
				gotraceUPAdd(gr.out.RangeTime, r.RangeTime)
				gr.out.Regions = append(gr.out.Regions, gotraceUPRegion{
					Goroutine: int64(g.ID),
					Task:      uint64(r.TaskID),
					Start:     gotraceUPTime(r.Start),
					End:       gotraceUPTime(r.End),
					Duration:  int64(d),
					Total:     int64(r.TotalTime),
					Breakdown: gotraceUPDurs(nonOverlapping),
					RangeTime: gotraceUPDurs(r.RangeTime),
				})
			}
		}
		var rlist []*group
		for _, gr := range groups {
			gr.out.Count = gr.hist.Count
			gr.out.gotraceUPStats = gotraceUPStatsOf(gr.durs)
			gr.out.Histogram = gotraceUPHistOf(&gr.hist)
			slices.SortStableFunc(gr.out.Regions, func(a, b gotraceUPRegion) int {
				return cmp.Compare(b.Total, a.Total)
			})
			rlist = append(rlist, gr)
		}
		slices.SortFunc(rlist, func(a, b *group) int {
			x, y := a.out, b.out
			return cmp.Or(cmp.Compare(x.Type, y.Type), cmp.Compare(x.Frame.PC, y.Frame.PC),
				cmp.Compare(x.Frame.Func, y.Frame.Func), cmp.Compare(x.Frame.File, y.Frame.File),
				cmp.Compare(x.Frame.Line, y.Frame.Line))
		})
		var rbuf bytes.Buffer
		for _, gr := range rlist {
			if err := gotraceSumLine(&rbuf, gr.out); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(prefix+".regions.golden", rbuf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}

		// Tasks.
		type ttype struct {
			out  gotraceUPTaskType
			hist traceviewer.TimeHistogram
			durs []time.Duration
		}
		types := map[string]*ttype{}
		for _, id := range slices.Sorted(maps.Keys(sum.Tasks)) {
			task := sum.Tasks[id]
			tt := types[task.Name]
			if tt == nil {
				tt = &ttype{out: gotraceUPTaskType{Type: task.Name, Tasks: []gotraceUPTask{}}}
				types[task.Name] = tt
			}
			tt.out.Count++
			if task.Complete() {
				d := task.End.Time().Sub(task.Start.Time())
				tt.hist.Add(d)
				tt.durs = append(tt.durs, d)
				tt.out.Complete++
			} else {
				tt.out.Incomplete++
			}

			var raw []*trace.Event
			if task.Start != nil {
				raw = append(raw, task.Start)
			}
			if task.End != nil {
				raw = append(raw, task.End)
			}
			raw = append(raw, task.Logs...)
			for _, r := range task.Regions {
				if r.Start != nil {
					raw = append(raw, r.Start)
				}
				if r.End != nil {
					raw = append(raw, r.End)
				}
			}
			slices.SortStableFunc(raw, func(a, b *trace.Event) int {
				return cmp.Compare(a.Time(), b.Time())
			})
			evs := []gotraceUPEvent{}
			last := t0
			for _, ev := range raw {
				what := gotraceUPWhat(ev)
				if what == "" {
					continue
				}
				evs = append(evs, gotraceUPEvent{
					When:        fmt.Sprintf("%2.9f", ev.Time().Sub(t0).Seconds()),
					Elapsed:     int64(ev.Time().Sub(last)),
					ElapsedText: gotraceUPElapsed(ev.Time().Sub(last)),
					Goroutine:   int64(gotraceUPGoroutine(ev)),
					What:        what,
				})
				last = ev.Time()
			}
			a, b := gotraceUPSpan(task.Start, task.End, t0, t1)
			start := a.Sub(t0)
			dur := b.Sub(a)
			tt.out.Tasks = append(tt.out.Tasks, gotraceUPTask{
				ID:       uint64(task.ID),
				When:     fmt.Sprintf("%2.9fs", start.Seconds()),
				Duration: int64(dur),
				Complete: task.Complete(),
				Start:    int64(start),
				End:      int64(start + dur),
				StartMs:  float64(start.Nanoseconds()) / float64(time.Millisecond),
				EndMs:    float64((start + dur).Nanoseconds()) / float64(time.Millisecond),
				Events:   evs,
			})
		}
		var tbuf bytes.Buffer
		for _, name := range slices.Sorted(maps.Keys(types)) {
			tt := types[name]
			tt.out.gotraceUPStats = gotraceUPStatsOf(tt.durs)
			tt.out.Histogram = gotraceUPHistOf(&tt.hist)
			slices.SortStableFunc(tt.out.Tasks, func(a, b gotraceUPTask) int {
				return cmp.Compare(a.Duration, b.Duration)
			})
			if err := gotraceSumLine(&tbuf, tt.out); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(prefix+".usertasks.golden", tbuf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}
