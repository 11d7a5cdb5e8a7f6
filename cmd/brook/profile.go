package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startCPUProfile profiles the process into path until the returned stop
// function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// startMemProfile records every allocation of the process and writes the
// heap profile (allocations since the start, and what is live) into path
// when the returned stop function is called.
func startMemProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 4096
	return func() error {
		defer f.Close()
		runtime.GC() // the live heap as of the end of the run
		err := pprof.Lookup("allocs").WriteTo(f, 0)
		runtime.MemProfileRate = old
		return err
	}, nil
}

// startTrace records an execution trace of the process into path until the
// returned stop function is called.
func startTrace(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		trace.Stop()
		f.Close()
	}, nil
}
