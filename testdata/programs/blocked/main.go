// Goroutines still blocked when the trace stops: on a channel, a mutex, select{}, a network read.
package main

import (
	"net"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	ch := make(chan int)
	go func() { <-ch }()
	var mu sync.Mutex
	mu.Lock()
	go func() { mu.Lock() }()
	go func() { select {} }()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			buf := make([]byte, 1)
			c.Read(buf)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	time.Sleep(5 * time.Millisecond)
	trace.Stop()
	c.Close()
}
