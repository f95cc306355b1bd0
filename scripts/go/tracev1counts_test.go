// Dumps what Go 1.27's internal v1 parser reads from the wire of Go 1.11-1.21 traces, in the same
// one-line form as v1counts_test.go, so the two Go readers and ours can be compared.
//
// scripts/gen-v1-counts.sh copies this file into
// $(go env GOROOT)/src/internal/trace/internal/tracev1/ of Go 1.27.3 and runs:
// TRACE=a:b:c go test -v -count=1 -run TestV1Counts127 internal/trace/internal/tracev1
package tracev1

import (
	"bytes"
	"fmt"
	"internal/trace/version"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestV1Counts127(t *testing.T) {
	for _, path := range filepath.SplitList(os.Getenv("TRACE")) {
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(data)
		v, err := version.ReadHeader(r)
		if err != nil {
			continue // Go 1.27 reads 1.11+ only.
		}
		p, err := newParser(r, v)
		if err != nil {
			t.Fatal(err)
		}
		p.strings = make(map[uint64]string)
		var ev rawEvent
		var counts [256]int
		n := 0
		for {
			err := p.readRawEvent(0, &ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if ev.typ == EvNone {
				continue // a string record
			}
			counts[ev.typ]++
			n++
		}
		var b strings.Builder
		fmt.Fprintf(&b, "V1COUNTS %s events=%d strings=%d", path, n, len(p.strings))
		for typ, c := range counts {
			if c > 0 {
				fmt.Fprintf(&b, " %d=%d", typ, c)
			}
		}
		fmt.Println(b.String())
	}
}
