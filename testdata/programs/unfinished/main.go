// Annotations and states the trace cuts through: a task and a region begun before trace.Start
// and ended inside the trace, regions still open at trace.Stop (on main and on a goroutine
// created inside one), a goroutine that exits inside its region, and a goroutine blocked in a
// raw read system call (so it loses its P) when the trace stops.
package main

import (
	"context"
	"os"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()

	// Begun before the trace: the trace sees only their ends.
	ctx, early := trace.NewTask(context.Background(), "early-task")
	before := trace.StartRegion(ctx, "before-start")

	// A raw, blocking pipe read that never returns: the goroutine stays in the syscall.
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	go func() {
		var b [1]byte
		syscall.Read(fds[0], b[:])
	}()

	if err := trace.Start(f); err != nil {
		panic(err)
	}
	before.End()
	early.End()

	tctx, task := trace.NewTask(context.Background(), "open-task")
	open := trace.StartRegion(tctx, "open-at-stop")
	_ = open
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Exits inside its region: the exit ends it.
		trace.StartRegion(tctx, "left-open-by-exit")
	}()
	wg.Wait()
	started := make(chan struct{})
	go func() {
		// Inherits the open region's task, and is still in its own region at the stop.
		trace.StartRegion(tctx, "child-open-at-stop")
		close(started)
		select {}
	}()
	<-started
	busy := time.Now()
	for time.Since(busy) < 2*time.Millisecond {
	}
	_ = task
	trace.Stop()
}
