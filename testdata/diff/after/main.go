// trace-diff's before/after experiment, after the change: testdata/diff/before with
// "compute" doing 2.5 times the work (slower) and "encode" a third of it (faster); "parse" and
// "wait" are unchanged.
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
)

const requests = 40

var sink uint64

// spin does n rounds of xorshift: CPU work that takes time in proportion to n.
func spin(n int) {
	x := sink | 1
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink += x
}

func parse(buf []byte) {
	for i := range buf {
		buf[i] = byte(i)
	}
	spin(200000)
}

func compute() { spin(1500000) }

func encode() { spin(150000) }

func main() {
	// One P: the hand-off to the worker is a goroutine switch, not a wakeup of a thread that
	// waits for a core other processes may hold.
	runtime.GOMAXPROCS(1)
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	jobs := make(chan int)
	done := make(chan int)
	go func() {
		for j := range jobs {
			spin(100000)
			done <- j
		}
	}()
	for i := 0; i < requests; i++ {
		ctx, task := trace.NewTask(context.Background(), "request")
		trace.Log(ctx, "id", strconv.Itoa(i))
		buf := make([]byte, 64<<10)
		trace.WithRegion(ctx, "parse", func() { parse(buf) })
		trace.WithRegion(ctx, "compute", compute)
		trace.WithRegion(ctx, "encode", encode)
		trace.WithRegion(ctx, "wait", func() {
			jobs <- i
			<-done
		})
		task.End()
	}
	close(jobs)
	trace.Stop()
}
