// Dumps what Go 1.21's wire-level reader (readTrace, before any ordering or validation of the
// events) reads from v1 traces: one line per trace with the number of events, of strings, and
// the count of each event type.
//
// scripts/gen-v1-counts.sh copies this file into $(go env GOROOT)/src/internal/trace/ of Go
// 1.21.13 and runs: TRACE=a:b:c go test -v -count=1 -run TestV1Counts internal/trace
// With V1NAMES set, a first line gives Go's name of each event type: V1NAMES 1=Batch 2=...
package trace

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestV1Counts(t *testing.T) {
	if os.Getenv("V1NAMES") != "" {
		var b strings.Builder
		b.WriteString("V1NAMES")
		for typ := 1; typ < EvCount; typ++ {
			fmt.Fprintf(&b, " %d=%s", typ, EventDescriptions[typ].Name)
		}
		fmt.Println(b.String())
	}
	for _, path := range filepath.SplitList(os.Getenv("TRACE")) {
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, events, strs, err := readTrace(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var counts [256]int
		for _, ev := range events {
			counts[ev.typ]++
		}
		var b strings.Builder
		fmt.Fprintf(&b, "V1COUNTS %s events=%d strings=%d", path, len(events), len(strs))
		for typ, n := range counts {
			if n > 0 {
				fmt.Fprintf(&b, " %d=%d", typ, n)
			}
		}
		fmt.Println(b.String())
	}
}
