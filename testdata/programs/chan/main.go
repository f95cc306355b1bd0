// Channels: unbuffered and buffered sends and receives, a select with a timeout, a sleeper.
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
	unbuf := make(chan int)
	buf := make(chan int, 4)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			unbuf <- i
		}
		close(unbuf)
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			buf <- i
		}
		close(buf)
	}()
	go func() {
		defer wg.Done()
		time.Sleep(2 * time.Millisecond)
	}()
	sum := 0
	for unbuf != nil || buf != nil {
		select {
		case v, ok := <-unbuf:
			if !ok {
				unbuf = nil
			}
			sum += v
		case v, ok := <-buf:
			if !ok {
				buf = nil
			}
			sum += v
		case <-time.After(50 * time.Millisecond):
			panic("timeout")
		}
	}
	select {
	case <-quit:
	case <-time.After(time.Millisecond):
	}
	wg.Wait()
	trace.Stop()
	_ = sum
}
