package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"brook/gen"
)

func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("gen", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	out := fs.String("out", "", "directory to write flows_0001.json, flows_0002.json, ... into (required)")
	files := fs.Int("files", 3, "number of files")
	rows := fs.Int("rows", 1000, "rows per file")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and sizes give byte-identical files")
	devices := fs.Int("devices", gen.DefaultDevices, "distinct ordinary devices (group-by cardinality)")
	perSecond := fs.Int("rows-per-second", gen.DefaultRowsPerSecond, "rows per second of event time (LANL has about 3200)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: brook gen --out DIR [flags]

Writes deterministic synthetic netflow records shaped like the LANL data set:
the same 11 fields, doubles for numbers, a few heavy web servers, numeric
well-known ports beside "Port12345"-style anonymised ones, time in order.
Each file is written under a temporary name and renamed into place.

Flags:
%s
Examples:
  brook gen --out testdata/flows --files 3 --rows 1000 --seed 1 --rows-per-second 20
  brook gen --out /tmp/big --files 1000 --rows 10000 --devices 100000
`, fs.FlagUsages())
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out DIR is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	paths, err := gen.WriteDirContext(ctx, *out, gen.Options{Files: *files, RowsPerFile: *rows, Seed: *seed, Devices: *devices, RowsPerSecond: *perSecond})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files of %d rows to %s\n", len(paths), *rows, *out)
	return nil
}
