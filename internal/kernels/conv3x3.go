package kernels

// The first convolution of a network on grey images — a 3×3 window with
// stride 1 over one channel, 32 (or a multiple of 32) filters — read in
// place from zero-padded copies of the images (conv3x3_amd64.s). Its two
// passes compute exactly what the general path computes: the forward pass
// sums each output's nine products in window order with fused
// multiply-adds from zero, as the SGEMM micro-kernel does over the
// unfolded row, then adds the bias and applies ReLU as biasRelu does; the
// kernel gradient sums over the windows of a block in SGEMM's k blocks
// (kBlock), each block's sum added to the chunk's partial sum in order, as
// the micro-kernel's beta does. So a model gives the same bits with or
// without these loops (TestConv3x3Direct holds them to it).

// direct3 reports whether the passes of c use the 3×3 one-channel loops.
func (c *Conv) direct3() bool {
	g := &c.g
	return hasAVX512 && !c.noDirect && g.C == 1 && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && c.f%32 == 0
}

// forward3 is the forward pass over images [i0, i1) for Conv.run.
func (t *convTask) forward3(pad []float32, i0, i1 int) {
	c, g := t.c, &t.c.g
	hp, wp := paddedDims(g)
	p, f := g.Pixels(), c.f
	flags := 0
	if t.bias != nil {
		flags = 1
		if t.relu {
			flags = 3
		}
	}
	for i := i0; i < i1; i++ {
		xp := pad[:hp*wp]
		padImage(xp, t.x[i*g.InSize():(i+1)*g.InSize()], g, copyRow)
		out := t.out[i*p*f : (i+1)*p*f]
		for j := 0; j < f; j += 32 {
			var bias *float32
			if t.bias != nil {
				bias = &t.bias[j]
			}
			_ = t.w[8*f+j+31]
			conv3x3c1FwdAVX512(&out[j], f, &xp[0], wp, g.OH, g.OW, wp, &t.w[j], f, bias, flags)
		}
	}
}

// kernelGrad3 adds the kernel gradient of images [i0, i1) to part, the
// chunk's (9 × f) partial sum, or sets it when first.
func (t *convTask) kernelGrad3(pad, part []float32, i0, i1 int, first bool) {
	c, g := t.c, &t.c.g
	hp, wp := paddedDims(g)
	p, f := g.Pixels(), c.f
	for i := i0; i < i1; i++ {
		padImage(pad[(i-i0)*hp*wp:(i-i0+1)*hp*wp], t.x[i*g.InSize():(i+1)*g.InSize()], g, copyRow)
	}
	rows := (i1 - i0) * p
	step := kBlock(gemmKern.kc, rows)
	dz := t.y[i0*p*f : i1*p*f]
	for r0 := 0; r0 < rows; r0 += step {
		n := min(step, rows-r0)
		img, pix := r0/p, r0%p
		oy, ox := pix/g.OW, pix%g.OW
		xp := pad[img*hp*wp+oy*wp+ox:]
		beta0 := 0
		if first && r0 == 0 {
			beta0 = 1
		}
		for j := 0; j < f; j += 32 {
			_ = dz[(r0+n-1)*f+j+31]
			conv3x3c1GradAVX512(&part[j], f, &xp[0], wp, g.OW, g.OH, hp, ox, oy, n, &dz[r0*f+j], f, beta0)
		}
	}
}
