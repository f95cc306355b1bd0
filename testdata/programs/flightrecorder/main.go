//go:build go1.25

// The Go 1.25+ flight recorder: a snapshot of the recent past, written on demand.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: time.Second, MaxBytes: 1 << 20})
	if err := fr.Start(); err != nil {
		panic(err)
	}
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range ch {
				_ = make([]byte, v)
			}
		}()
	}
	for i := 0; i < 50; i++ {
		ch <- 1024 * i
	}
	close(ch)
	wg.Wait()
	runtime.GC()
	if _, err := fr.WriteTo(f); err != nil {
		panic(err)
	}
	fr.Stop()
}
