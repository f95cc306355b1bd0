// oversubscription: a thousand goroutines started at once, each with a little CPU work: they
// wait to run far longer than they run.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
)

var sink [1000]int

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
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sink[i] = work(100000)
		}(i)
	}
	wg.Wait()
	trace.Stop()
}
