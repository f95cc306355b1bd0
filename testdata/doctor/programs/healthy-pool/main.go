// healthy-pool: a balanced worker pool, one worker per P, fed jobs over a channel.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
)

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
	jobs := make(chan int, 64)
	results := make(chan int, 64)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				results <- work(n)
			}
		}()
	}
	go func() {
		for i := 0; i < 400; i++ {
			jobs <- 100000
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	sum := 0
	for r := range results {
		sum += r
	}
	trace.Stop()
	_ = sum
}
