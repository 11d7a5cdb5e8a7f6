package main

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output files of testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"brook": func() { os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: each holds a
// query, its input files, the brook commands to run and their expected
// output or positioned error. Run with -rewrite to regenerate expectations
// after an intended change, then review the diff.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "../../testdata/script", UpdateScripts: *rewrite})
}
