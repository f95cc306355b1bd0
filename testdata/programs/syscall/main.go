// Blocking syscalls: file writes and reads, and a pipe between goroutines.
package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime/trace"
	"sync"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "gotrace")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	name := filepath.Join(dir, "data")
	data := make([]byte, 64<<10)
	for i := 0; i < 8; i++ {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			panic(err)
		}
		if _, err := os.ReadFile(name); err != nil {
			panic(err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(io.Discard, r)
	}()
	for i := 0; i < 10; i++ {
		w.Write(data[:4096])
	}
	w.Close()
	wg.Wait()
	trace.Stop()
}
