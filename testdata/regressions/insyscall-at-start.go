// A goroutine that is in a raw read syscall (without its P) when the trace starts, and leaves it
// during the trace. Go 1.11-1.21 traces give it no thread at the start, and Go 1.27.3's thread view
// (/jsontrace?view=thread) panics on them: "non-executing goroutine stopped".
//
// Usage: go build -o insyscall insyscall-at-start.go && ./insyscall OUT.trace
package main

import (
	"os"
	"runtime/trace"
	"syscall"
	"time"
)

func main() {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		panic(err)
	}
	done := make(chan bool)
	go func() {
		var b [1]byte
		syscall.Read(p[0], b[:]) // blocks in the kernel across trace.Start
		done <- true
	}()
	time.Sleep(50 * time.Millisecond) // long enough for sysmon to take its P
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	time.Sleep(20 * time.Millisecond)
	syscall.Write(p[1], []byte{1})
	<-done
	time.Sleep(5 * time.Millisecond)
	trace.Stop()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
