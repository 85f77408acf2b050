// Package kernels is the one home of Tailor's hot loops: matrix products,
// elementwise maps and reductions over flat float32 buffers.
//
// Every layer, loss and optimizer is built from these primitives; none keeps
// a private copy of a loop that lives here. Kernels never allocate on the hot
// path, take their dimensions explicitly (llm.c style) and split large work
// across a persistent worker pool whose partitions do not depend on timing, so
// results are deterministic for a given GOMAXPROCS.
package kernels
