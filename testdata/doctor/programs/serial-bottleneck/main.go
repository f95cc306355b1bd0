// serial-bottleneck: four Ps, and one goroutine doing 200 ms of CPU work alone while the
// others have nothing to do.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
)

var sink int

//go:noinline
func step(x int) int {
	return x ^ (x >> 3) + 1
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
	done := make(chan int)
	go func() {
		x := 0
		for i := 0; i < 100000000; i++ {
			x = step(x)
		}
		done <- x
	}()
	sink = <-done
	trace.Stop()
}
