// Goroutines blocked on the network: a TCP echo server and clients on loopback.
package main

import (
	"bufio"
	"net"
	"os"
	"runtime/trace"
	"sync"
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
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}(c)
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for j := 0; j < 5; j++ {
				c.Write([]byte("ping\n"))
				if _, err := r.ReadString('\n'); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
	ln.Close()
	trace.Stop()
}
