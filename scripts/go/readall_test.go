// Copied into $GOROOT/src/internal/trace by scripts/time-model.sh: reads every event of
// $GOTRACE_TRACE with Go's reader, the pass trace-model's ordered benchmark measures.
package trace_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"internal/trace"
)

func TestGotraceReadAll(t *testing.T) {
	path := os.Getenv("GOTRACE_TRACE")
	if path == "" {
		t.Skip("GOTRACE_TRACE not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	el := time.Since(start)
	st, _ := f.Stat()
	fmt.Printf("go: %d events in %.2f s, %.1f MB/s\n", n, el.Seconds(), float64(st.Size())/1e6/el.Seconds())
}
