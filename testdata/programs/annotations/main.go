// Tasks, regions and logs, with strings that exercise Go's quoting: non-ASCII, tabs, quotes,
// backslashes, an emoji, a NUL and invalid UTF-8.
package main

import (
	"context"
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
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	ctx, task := trace.NewTask(context.Background(), "outer")
	trace.Log(ctx, "greeting", "héllo 世界")
	trace.Logf(ctx, "odd", "tab\there \"quoted\" back\\slash 😀 nul\x00 end")
	trace.Log(ctx, "invalid", string([]byte{0xff, 0xfe, 'x'}))
	trace.WithRegion(ctx, "outer-region", func() {
		inner, sub := trace.NewTask(ctx, "inner")
		r := trace.StartRegion(inner, "nested")
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			trace.WithRegion(inner, "in-child", func() {
				trace.Log(inner, "child", "working")
			})
		}()
		wg.Wait()
		r.End()
		sub.End()
	})
	trace.Log(context.Background(), "", "no task")
	task.End()
	trace.Stop()
}
