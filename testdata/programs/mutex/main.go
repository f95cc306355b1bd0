// Contention on sync.Mutex and sync.RWMutex, with a WaitGroup and a Cond.
package main

import (
	"os"
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
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var mu sync.Mutex
	var rw sync.RWMutex
	var wg sync.WaitGroup
	counter := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				mu.Lock()
				counter++
				time.Sleep(20 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(writer bool) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if writer {
					rw.Lock()
					time.Sleep(30 * time.Microsecond)
					rw.Unlock()
				} else {
					rw.RLock()
					time.Sleep(10 * time.Microsecond)
					rw.RUnlock()
				}
			}
		}(i == 0)
	}
	cond := sync.NewCond(&mu)
	ready := false
	wg.Add(1)
	go func() {
		defer wg.Done()
		mu.Lock()
		for !ready {
			cond.Wait()
		}
		mu.Unlock()
	}()
	time.Sleep(time.Millisecond)
	mu.Lock()
	ready = true
	cond.Broadcast()
	mu.Unlock()
	wg.Wait()
	trace.Stop()
}
