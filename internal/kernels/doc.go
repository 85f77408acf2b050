// Package kernels is the one home of Tailor's hot loops: matrix products,
// elementwise maps and reductions over flat float32 buffers.
//
// Every layer, loss and optimizer is built from these primitives; none keeps
// a private copy of a loop that lives here. Kernels never allocate on the hot
// path, take their dimensions explicitly (llm.c style) and split large work
// across a persistent worker pool whose partitions do not depend on timing, so
// results are deterministic for a given GOMAXPROCS.
//
// The optimizer updates (AdamUpdate, SGDUpdate and their weight-decay forms)
// never keep or compute a subnormal float32: like TensorFlow, which sets
// the CPU's flush-to-zero and denormals-are-zero modes for its kernels on
// CPU, they flush tiny values to zero, by a rule (optimizer.go) that gives
// the same bits on every CPU and in the portable build. CountSubnormals
// checks a buffer for them.
package kernels
