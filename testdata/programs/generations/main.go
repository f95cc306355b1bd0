// Long enough for the tracer to start new generations (about one a second), with light work.
package main

import (
	"os"
	"runtime/trace"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	done := time.After(2300 * time.Millisecond)
	ch := make(chan int)
	go func() {
		for range ch {
		}
	}()
	for {
		select {
		case <-tick.C:
			ch <- 1
		case <-done:
			tick.Stop()
			close(ch)
			trace.Stop()
			return
		}
	}
}
