// lock-contention: eight goroutines take turns on one sync.Mutex around a CPU-bound critical
// section: one runs while the others are blocked on the Mutex.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

var shared int

//go:noinline
func work(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i ^ (x >> 3)
	}
	return x
}

func main() {
	runtime.GOMAXPROCS(4)
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(150 * time.Millisecond)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				shared += work(200000)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	trace.Stop()
}
