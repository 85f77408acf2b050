// Package kernels is the one home of Tailor's hot loops: matrix products,
// elementwise maps and reductions over flat float32 buffers.
//
// Every layer, loss and optimizer is built from these primitives; none keeps
// a private copy of a loop that lives here. Kernels never allocate on the hot
// path, take their dimensions explicitly (llm.c style) and split large work
// across a persistent worker pool whose partitions do not depend on timing, so
// results are deterministic for a given GOMAXPROCS.
//
// The optimizer updates (AdamWUpdate and SGDWUpdate, with or without weight
// decay) never keep or compute a subnormal float32: like TensorFlow, which
// sets the CPU's flush-to-zero and denormals-are-zero modes for its kernels
// on CPU, they flush tiny values to zero, by a rule (optimizer.go) that
// gives the same bits on every CPU and in the portable build.
// CountSubnormals checks a buffer for them.
//
// The loops are chosen at start-up from what the CPU offers (AVX-512, AVX2
// with FMA, or portable Go; -tags purego forces the portable ones); float32
// results are the same bits on every path. The environment variable
// TAILOR_KERNELS=avx2 or TAILOR_KERNELS=generic restricts the choice, to
// check that on one machine, and TAILOR_KERNELS=avx512 keeps AVX-512 but
// computes bfloat16 products by their emulation (bgemmEmuKernelAVX512),
// as Intel CPUs do. Any other value (a typo, "AVX2") stops the program at
// start-up with a message naming it, rather than run the default loops
// while a check believes it runs another path.
package kernels
