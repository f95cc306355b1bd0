// A busy server in miniature, traced until the trace file reaches a target size: goroutines doing
// channel ping-pong, mutex contention, allocation (so GC runs), small file syscalls, loopback
// network round trips, regions and logs. Used by scripts/gen-large-trace.sh for benchmarks.
//
// The dense mode is a busier service with fewer bytes per event: 64 goroutines, each in a loop
// of a loopback TCP echo, a contended mutex, a channel round trip, an allocation and an
// os.Stat, at GOMAXPROCS=2, with no tasks, regions or logs.
//
// Usage: large OUTPUT [MEGABYTES [dense]]   (default 120)
package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := int64(120)
	if len(os.Args) > 2 {
		n, err := strconv.ParseInt(os.Args[2], 10, 64)
		if err != nil {
			panic(err)
		}
		target = n
	}
	target <<= 20
	dense := len(os.Args) > 3 && os.Args[3] == "dense"
	if dense {
		runtime.GOMAXPROCS(2)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	dir, err := os.MkdirTemp("", "gotrace-large")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var stop atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	shared := 0
	if dense {
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				denseWorker(i, ln.Addr().String(), dir, &stop, &mu, &shared)
			}(i)
		}
	}
	for i := 0; i < 32 && !dense; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ping, pong := make(chan int), make(chan int)
			go func() {
				for v := range ping {
					pong <- v
				}
				close(pong)
			}()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			name := filepath.Join(dir, strconv.Itoa(i))
			var keep [][]byte
			for n := 0; !stop.Load(); n++ {
				ctx, task := trace.NewTask(context.Background(), "request")
				trace.WithRegion(ctx, "handle", func() {
					for j := 0; j < 20; j++ {
						ping <- j
						<-pong
						mu.Lock()
						shared++
						mu.Unlock()
						keep = append(keep, make([]byte, 256))
					}
					if len(keep) > 2000 {
						keep = keep[:0]
					}
					if n%10 == 0 {
						conn.Write([]byte("ping\n"))
						r.ReadString('\n')
						os.WriteFile(name, []byte("payload"), 0o600)
					}
				})
				trace.Log(ctx, "n", strconv.Itoa(n))
				task.End()
			}
			close(ping)
		}(i)
	}
	for {
		time.Sleep(50 * time.Millisecond)
		if fi, err := f.Stat(); err == nil && fi.Size() >= target {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	trace.Stop()
	ln.Close()
}

// denseWorker is one of the dense mode's 64 goroutines: until stop, a loopback echo, a
// contended mutex, a round trip through a channel to a helper goroutine, an allocation and a
// stat of a file of its own.
func denseWorker(i int, addr, dir string, stop *atomic.Bool, mu *sync.Mutex, shared *int) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	name := filepath.Join(dir, strconv.Itoa(i))
	if err := os.WriteFile(name, []byte("payload"), 0o600); err != nil {
		panic(err)
	}
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	defer close(ping)
	var keep [][]byte
	msg := []byte("ping\n")
	for n := 0; !stop.Load(); n++ {
		conn.Write(msg)
		r.ReadString('\n')
		mu.Lock()
		*shared++
		mu.Unlock()
		ping <- n
		<-pong
		keep = append(keep, make([]byte, 128+n%512))
		if len(keep) > 1000 {
			keep = keep[:0]
		}
		os.Stat(name)
	}
}
