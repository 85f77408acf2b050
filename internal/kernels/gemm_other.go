//go:build purego || !amd64

package kernels

// kernels lists the micro-kernels this build can run, best first.
func kernels() []*gemmKernel { return []*gemmKernel{&genericKernel} }

func bestKernel() *gemmKernel { return &genericKernel }
