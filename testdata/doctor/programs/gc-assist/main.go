// gc-assist: a large live heap of pointers (slow to mark) and goroutines allocating garbage as
// fast as they can: the allocator outruns the pacer and the allocating goroutines assist.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

type node struct {
	next *node
	pad  [6]uintptr
}

var live []*node
var garbage [4][]byte

func main() {
	runtime.GOMAXPROCS(4)
	live = make([]*node, 1<<20)
	for i := range live {
		live[i] = &node{}
		if i > 0 {
			live[i].next = live[i-1]
		}
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	deadline := time.Now().Add(150 * time.Millisecond)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				for i := 0; i < 1000; i++ {
					garbage[w] = make([]byte, 4096)
				}
			}
		}(w)
	}
	wg.Wait()
	trace.Stop()
	runtime.KeepAlive(live)
}
