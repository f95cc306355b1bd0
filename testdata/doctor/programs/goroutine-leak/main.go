// goroutine-leak: two thousand goroutines start, each waiting on a channel nobody will ever
// send on: the goroutine count surges while no work is done.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"time"
)

func handle(ch chan int) {
	<-ch
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
	for i := 0; i < 2000; i++ {
		go handle(make(chan int))
	}
	time.Sleep(50 * time.Millisecond)
	trace.Stop()
}
