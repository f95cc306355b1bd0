// GOMAXPROCS changes during the trace, with busy goroutines.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func spin(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	old := runtime.GOMAXPROCS(1)
	for _, n := range []int{1, 4, 2} {
		runtime.GOMAXPROCS(n)
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				spin(300 * time.Microsecond)
			}()
		}
		wg.Wait()
	}
	runtime.GOMAXPROCS(old)
	trace.Stop()
}
