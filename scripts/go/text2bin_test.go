// Copied into $GOROOT/src/internal/trace by scripts/gen-invalid-traces.sh: writes the trace
// in Go's raw text format $GOTRACE_TEXT in the binary format to $GOTRACE_OUT, with Go's own
// raw reader and writer.
package trace_test

import (
	"io"
	"os"
	"testing"

	"internal/trace/raw"
)

func TestGotraceTextToBinary(t *testing.T) {
	in, out := os.Getenv("GOTRACE_TEXT"), os.Getenv("GOTRACE_OUT")
	if in == "" || out == "" {
		t.Skip("GOTRACE_TEXT or GOTRACE_OUT not set")
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := raw.NewTextReader(f)
	if err != nil {
		t.Fatal(err)
	}
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w, err := raw.NewWriter(o, tr.Version())
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
}
