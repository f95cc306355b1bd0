// long-stw: a stop-the-world pause of tens of milliseconds. The program re-runs itself with
// GODEBUG=asyncpreemptoff=1, so a loop without calls cannot be preempted, and allocates while
// such a loop runs: the GC this starts stops the world, and waits for the loop to end.
package main

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/trace"
	"time"
)

var sink int
var garbage []byte

//go:noinline
func spin(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i ^ (x >> 3)
	}
	return x
}

func main() {
	if os.Getenv("DOCTOR_CHILD") == "" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "DOCTOR_CHILD=1", "GODEBUG=asyncpreemptoff=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			panic(err)
		}
		return
	}
	runtime.GOMAXPROCS(4)
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	for k := 0; k < 1; k++ {
		done := make(chan int)
		go func() { done <- spin(10000000) }()
		time.Sleep(2 * time.Millisecond)
	alloc:
		for {
			select {
			case x := <-done:
				sink += x
				break alloc
			default:
				garbage = make([]byte, 64<<10)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	trace.Stop()
}
