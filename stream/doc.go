// Package stream wires the stages together for one continuous query: it
// binds table names to sources (Catalog), and Run pulls micro-batches from
// a source, decodes the plan's columns, folds them into the engine's state
// and hands each batch's output to a callback.
//
//	cat := stream.NewCatalog()
//	cat.Bind("flows", "testdata/flows", nil) // schema inferred by sampling
//	plan, _ := sql.Build(query, cat)
//	q, _ := engine.New(plan, engine.Options{})
//	src, _ := cat.Open("flows", ingest.DirOptions{FilesPerBatch: 1})
//	sum, err := stream.Run(ctx, q, src, stream.Options{}, func(b stream.Batch) error {
//		return out.Batch(b.Info, b.Rows)
//	})
package stream
