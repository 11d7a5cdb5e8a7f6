package stream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"brook/ingest"
	"brook/sql"
	"brook/value"
)

// Binding ties a table name to a path and, optionally, a declared schema.
type Binding struct {
	Name     string
	Path     string       // directory, glob or file
	Declared value.Schema // nil: inferred by sampling the files
	inferred value.Schema
	restored bool          // inferred is the schema a checkpoint recorded (see Restore)
	fallback bool          // bound by default, not by the user (see BindDefault)
	sampled  ingest.Source // a streaming source opened to sample its schema
}

// Stream reports whether the binding is a streaming source (stdin, TCP,
// Kafka) rather than files; see ingest.IsStream.
func (b *Binding) Stream() bool { return ingest.IsStream(b.Path) }

// SchemaSource says where a binding's schema comes from.
func (b *Binding) SchemaSource() string {
	if b.Declared != nil {
		return "declared"
	}
	if b.restored {
		return "recorded in the checkpoint, as inferred when the run began"
	}
	if b.Stream() {
		return fmt.Sprintf("inferred from the first records that arrived, up to %d, as read_json_auto would", ingest.DefaultSampleRows)
	}
	return fmt.Sprintf("inferred from the first %d records, as read_json_auto would", ingest.DefaultSampleRows)
}

// Catalog is the set of bound sources; it implements sql.Catalog.
type Catalog struct {
	bindings map[string]*Binding // by lower-case name
	opts     ingest.Options      // for streaming sources, see SetSourceOptions
	ctx      context.Context     // ends sampling a streaming source
	skipBad  bool                // inference skips unreadable files
}

// SkipUnreadable makes schema inference go past files it cannot read (a
// corrupt .gz file, one removed or unreadable) instead of stopping at the
// first, as a run with --on-error skip or quarantine does: the run then
// meets them again and counts them. Off (the default, --on-error fail),
// inference stops with the file's error.
func (c *Catalog) SkipUnreadable(skip bool) { c.skipBad = skip }

// SetSourceOptions sets the options streaming sources are opened with.
// Call it before planning: inferring a streaming source's schema opens the
// source and samples the first records it delivers, until ctx ends at the
// latest (OpenSource then hands out that same source, sampled records
// first).
func (c *Catalog) SetSourceOptions(ctx context.Context, opts ingest.Options) {
	c.ctx, c.opts = ctx, opts
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{bindings: map[string]*Binding{}} }

// Bind binds name to path (a file: URI stands for its path); a later Bind
// of the same name replaces it.
func (c *Catalog) Bind(name, path string, declared value.Schema) {
	c.bindings[strings.ToLower(name)] = &Binding{Name: name, Path: ingest.LocalPath(path), Declared: declared}
}

// BindDefault binds name to path as a default the user did not ask for
// (brook's bundled sample data): when path does not exist, using the table
// is an error that says to bind it, not one about the default's path.
func (c *Catalog) BindDefault(name, path string, declared value.Schema) {
	c.Bind(name, path, declared)
	c.bindings[strings.ToLower(name)].fallback = true
}

// missing returns, for a default binding whose path does not exist, the
// error that says how to bind the table.
func (b *Binding) missing() error {
	if !b.fallback {
		return nil
	}
	if _, err := os.Stat(b.Path); err == nil {
		return nil
	}
	return fmt.Errorf("not bound to a source: bind one with --source %s=DIR (a directory of NDJSON files, or a stream URI such as kafka://broker/topic); "+
		"the default, %s, is brook's sample data, found only in its repository", b.Name, b.Path)
}

// Binding returns the binding of name, if any.
func (c *Catalog) Binding(name string) (*Binding, bool) {
	b, ok := c.bindings[strings.ToLower(name)]
	return b, ok
}

// Tables lists the bound names, sorted.
func (c *Catalog) Tables() []string {
	var names []string
	for _, b := range c.bindings {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}

// Restore binds table (a binding without a declared schema) to the schema
// a checkpoint recorded for it, as if inferred: a run resuming from that
// checkpoint plans the query with the schema its state was built with and
// samples nothing (a stream would otherwise be read again to infer one,
// and wait for records that may not come). It reports whether it did.
func (c *Catalog) Restore(table string, schema value.Schema) bool {
	b, ok := c.Binding(table)
	if !ok || b.Declared != nil || b.inferred != nil || len(schema) == 0 {
		return false
	}
	b.inferred, b.restored = schema, true
	return true
}

// Schema returns the declared schema of table, or infers one by sampling
// its files (once; the result is kept).
func (c *Catalog) Schema(table string) (value.Schema, error) {
	b, ok := c.Binding(table)
	if !ok {
		return nil, sql.ErrUnknownTable
	}
	if b.Declared != nil {
		return b.Declared, nil
	}
	if b.inferred != nil {
		return b.inferred, nil
	}
	if b.Stream() {
		src, err := ingest.Open(b.Path, c.opts)
		if err != nil {
			return nil, err
		}
		ctx := c.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		s, rest, err := ingest.Sample(ctx, src, ingest.DefaultSampleRows)
		if err != nil {
			src.Close()
			if g, ok := src.(interface{ GroupAtEnd() bool }); ok && g.GroupAtEnd() {
				return nil, fmt.Errorf("source %s: no record to infer a schema from: the group had nothing left to read (see the warning above); "+
					"give a new group (group=NEW) to read the topic again", b.Path)
			}
			return nil, fmt.Errorf("source %s: %w", b.Path, err)
		}
		b.inferred, b.sampled = s, rest
		return s, nil
	}
	if err := b.missing(); err != nil {
		return nil, err
	}
	src, err := ingest.OpenDir(ingest.DirOptions{Path: b.Path})
	if md := (*ingest.MissingDirError)(nil); errors.As(err, &md) {
		return nil, ingest.MissingDir(md.Path, c.opts.Follow)
	}
	if err != nil {
		return nil, err
	}
	files, err := src.List()
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", b.Path, err)
	}
	if len(files) == 0 && c.opts.Follow {
		if files, err = c.awaitFiles(src, b.Path); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("source %s has no %s files to infer a schema from; declare one with --schema 'name TYPE, ...'", b.Path, strings.Join(ingest.Extensions, "/"))
	}
	s, _, err := ingest.InferSkipping(files, ingest.DefaultSampleRows, c.skipBad)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", b.Path, err)
	}
	b.inferred = s
	return s, nil
}

// Open opens the source bound to table, with opts.Path set from the binding.
func (c *Catalog) Open(table string, opts ingest.DirOptions) (*ingest.DirSource, error) {
	b, ok := c.Binding(table)
	if !ok {
		return nil, fmt.Errorf("no source is bound to %s", table)
	}
	if err := b.missing(); err != nil {
		return nil, err
	}
	opts.Path = b.Path
	return ingest.OpenDir(opts)
}

// OpenSource opens the source bound to table, of any kind (see
// ingest.Open), with opts (Stdin defaults to the one SetSourceOptions
// gave). A streaming source already opened to infer its schema is handed
// out once, with the sampled batches first.
func (c *Catalog) OpenSource(table string, opts ingest.Options) (ingest.Source, error) {
	b, ok := c.Binding(table)
	if !ok {
		return nil, fmt.Errorf("no source is bound to %s", table)
	}
	if b.sampled != nil {
		src := b.sampled
		b.sampled = nil
		return src, nil
	}
	if err := b.missing(); err != nil {
		return nil, err
	}
	if opts.Stdin == nil {
		opts.Stdin = c.opts.Stdin
	}
	return ingest.Open(b.Path, opts)
}

// awaitFiles waits, for a followed directory that holds no file yet, until
// one arrives to infer the schema from (as stdin, TCP and Kafka sources
// wait for their first records), or until the catalog's context ends.
func (c *Catalog) awaitFiles(src *ingest.DirSource, path string) ([]string, error) {
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if c.opts.Waiting != nil {
		c.opts.Waiting(fmt.Sprintf("following %s: waiting for its first %s file to infer the schema from (or declare one with --schema)",
			path, strings.Join(ingest.Extensions, "/")))
	}
	tick := time.NewTicker(awaitPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("source %s: no file arrived to infer a schema from: %w", path, context.Cause(ctx))
		case <-tick.C:
		}
		files, err := src.List()
		if err != nil || len(files) > 0 {
			return files, err
		}
	}
}

// awaitPoll is how often awaitFiles lists the directory.
const awaitPoll = 100 * time.Millisecond
