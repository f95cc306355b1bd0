// GC pressure: allocation with explicit collections and a GC percent change, so GC cycles,
// sweeping and mark assists appear.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"sync"
)

var sink [][]byte

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	debug.SetGCPercent(10)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local [][]byte
			for i := 0; i < 3000; i++ {
				local = append(local, make([]byte, 1024))
				if len(local) > 500 {
					local = local[:0]
				}
			}
			sink = append(sink, local...)
		}()
	}
	wg.Wait()
	runtime.GC()
	debug.SetGCPercent(100)
	runtime.GC()
	trace.Stop()
}
