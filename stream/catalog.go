package stream

import (
	"fmt"
	"sort"
	"strings"

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
}

// SchemaSource says where a binding's schema comes from.
func (b *Binding) SchemaSource() string {
	if b.Declared != nil {
		return "declared"
	}
	return fmt.Sprintf("inferred from the first %d records, as read_json_auto would", ingest.DefaultSampleRows)
}

// Catalog is the set of bound sources; it implements sql.Catalog.
type Catalog struct {
	bindings map[string]*Binding // by lower-case name
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{bindings: map[string]*Binding{}} }

// Bind binds name to path; a later Bind of the same name replaces it.
func (c *Catalog) Bind(name, path string, declared value.Schema) {
	c.bindings[strings.ToLower(name)] = &Binding{Name: name, Path: path, Declared: declared}
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
	src, err := ingest.OpenDir(ingest.DirOptions{Path: b.Path})
	if err != nil {
		return nil, err
	}
	files, err := src.List()
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", b.Path, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("source %s has no %s files to infer a schema from; declare one with --schema 'name TYPE, ...'", b.Path, strings.Join(ingest.Extensions, "/"))
	}
	s, err := ingest.Infer(files, ingest.DefaultSampleRows)
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
	opts.Path = b.Path
	return ingest.OpenDir(opts)
}
