package kernels

import "unsafe"

// Convolution drivers: the unfolding (im2col), the products and the bias
// of a 2-D convolution, run over blocks of images. Each block's windows and
// outputs stay in one core's cache from the unfolding to the bias, and the
// blocks are what the workers share: one parallel call per pass, each
// worker running whole blocks with products on its own goroutine, rather
// than many small products each split in two, whose hand-offs and
// duplicated packing cost more than the second core gives.

// convBlockBytes is the size of the unfolded windows and outputs of one
// block of images: about half a Zen 4 core's L2 cache.
const convBlockBytes = 512 << 10

// Conv is a convolution's geometry and working space. The buffers grow on
// the first batches and are reused after, so a training step allocates
// nothing; a Conv must not be used by two goroutines at once.
type Conv struct {
	g    ConvGeom // the forward geometry
	f    int      // filters
	gt   ConvGeom // stride 1: dx as a convolution of dz, see InputGrad
	bufs [][]float32
	dw   []float32 // per-chunk partial kernel gradients
	wT   []float32 // the rotated kernel for InputGrad

	// BF16 runs the three products in mixed precision (see bgemm: operands
	// rounded to bfloat16, sums in float32) where the CPU has AVX-512
	// (VDPBF16PS or its emulation, the same bits) and the window size
	// KH·KW·C is even (for the input gradient: the
	// stride is 1 and KH·KW·F is even); elsewhere the Conv computes in
	// float32.
	BF16 bool
	wb   []uint16 // the kernel (or the rotated kernel), rounded
	wp   []uint32 // and in pairs
	bfs  []bfBufs // per chunk

	noDirect bool          // tests: keep to the general path (see conv3x3.go)
	noPaired bool          // tests: KernelGrad in bfloat16 pairs unfolded rows (see unfoldPaired)
	dps      [2]directPass // Forward's and InputGrad's in-place plans
}

// bfBufs is one chunk's working space in the bfloat16 passes; each buffer
// grows when a pass first needs it.
type bfBufs struct {
	img      []uint16  // one image, rounded and padded (padBF16)
	imgPairs []uint32  // KernelGrad: img paired with itself SW columns on
	imgA     []uint32  // one image as A, rounded and padded (padA)
	x        []uint16  // a block's images (or dz), rounded
	cols     []uint16  // and unfolded
	xf       []float32 // a block's images, rounded and widened (the emulation's A)
	colsF    []float32 // and unfolded
	colPairs []uint32  // KernelGrad: cols paired along its rows
	dz       []uint16  // KernelGrad: dz, rounded
	dzF      []float32 // or, for the emulation, rounded and widened
	dzPairs  []uint32  // and paired along its rows, as A
	pad      []uint32  // bgemm's scratch
}

// NewConv returns the driver of a convolution with geometry g and f
// filters.
func NewConv(g ConvGeom, f int) *Conv {
	c := &Conv{g: g, f: f}
	if g.SH == 1 && g.SW == 1 {
		// dx[i, j] = Σ dz[i+pt−di, j+pl−dj]·K[di, dj]ᵀ: a stride-1
		// convolution of dz, padded by KH−1−pt rows above and KW−1−pl
		// columns to the left, with the kernel rotated by 180°.
		c.gt = ConvGeom{H: g.OH, W: g.OW, C: f, KH: g.KH, KW: g.KW, SH: 1, SW: 1,
			PadTop: g.KH - 1 - g.PadTop, PadLeft: g.KW - 1 - g.PadLeft, OH: g.H, OW: g.W}
	}
	return c
}

// plan cuts a pass over n images into blocks and chunks, for images that
// unfold into p rows of k values with out outputs each, and grows one
// unfolding buffer per chunk (or, when bf is set, the chunks' bfloat16
// working space). A block holds as many images as fit in convBlockBytes;
// the chunks are one per thread, but at least four, so that the parts —
// and the partial sums of KernelGrad, added in part order — are the same
// on one to four threads.
func (c *Conv) plan(n, p, k, out int, bf bool, read windowRead, g *ConvGeom) convTask {
	block := max(1, convBlockBytes/(4*p*(k+out)))
	nb := (n + block - 1) / block
	nc := min(nb, max(4, Threads()))
	if bf {
		read = unfolded
	}
	t := convTask{n: n, block: block, nb: nb, nc: nc, bf: bf, read: read}
	if bf {
		for len(c.bfs) < nc {
			c.bfs = append(c.bfs, bfBufs{})
		}
		return t
	}
	for len(c.bufs) < nc {
		c.bufs = append(c.bufs, nil)
	}
	size := min(block, n) * p * k
	switch hp, wp := paddedDims(g); read {
	case direct3x3:
		size = min(block, n) * hp * wp // the block's padded images
	case direct:
		size = hp * wp * g.C // one padded image
	}
	for i := range c.bufs[:nc] {
		c.bufs[i] = grow(c.bufs[i], size)
	}
	return t
}

// bf16For reports whether a product summing k values runs in bfloat16, and
// if so rounds the kernel w (k × f, nil for none) into c.wp.
func (c *Conv) bf16For(k, f int, w []float32) bool {
	if !c.BF16 || !hasBF16 || k%2 != 0 {
		return false
	}
	if w != nil {
		c.wb, c.wp = growTo(c.wb, k*f), growTo(c.wp, k/2*f)
		packPairs(c.wp, c.wb, w, k, f)
	}
	return true
}

// growTo returns s with length n, reallocating only when it is too small.
func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// convPass names the three passes of a Conv.
type convPass int

const (
	convForward convPass = iota
	convKernelGrad
	convInputGrad
)

// convTask is one pass of a Conv over blocks of images; run handles the
// blocks of one chunk.
// x is what is unfolded (the images, or dz for InputGrad), y the other
// operand of KernelGrad (dz), w the kernel, out the result; bf selects the
// bfloat16 product (Conv.BF16).
type convTask struct {
	c                  *Conv
	pass               convPass
	n, block, nb, nc   int
	out, x, y, w, bias []float32
	dp                 *directPass // the in-place plan when read is direct
	relu, short, bf    bool
	read               windowRead
}

// windowRead is how a float32 pass reads the windows.
type windowRead int

const (
	unfolded  windowRead = iota // im2col into a block's buffer
	direct3x3                   // 3×3 over one channel, in place (conv3x3.go)
	direct                      // in place from a padded image (convdirect.go)
)

var convTasks freeList[convTask]

func (c *Conv) pass(t convTask) {
	if t.nb == 0 {
		return
	}
	p := convTasks.get()
	*p = t
	p.c = c
	parallelChunks(t.nb, t.nc, p)
	*p = convTask{}
	convTasks.put(p)
}

// unfold runs im2col with geometry g on images [i0, i1) of x into buf,
// returning the windows' row count and the unfolded matrix.
func unfold[T float32 | uint16](buf, x []T, i0, i1 int, g *ConvGeom) (rows int, cols []T) {
	rows = (i1 - i0) * g.Pixels()
	cols = buf[:rows*g.PatchSize()]
	im2col(cols, x[i0*g.InSize():i1*g.InSize()], i1-i0, g)
	return rows, cols
}

func (t *convTask) run(lo, hi int) {
	c, g := t.c, &t.c.g
	chunk := (lo*t.nc + t.nb - 1) / t.nb // parallelChunks' chunk lo starts
	if t.bf {
		t.runBF16(chunk, lo, hi)
		return
	}
	buf := c.bufs[chunk]
	for blk := lo; blk < hi; blk++ {
		i0, i1 := blk*t.block, min((blk+1)*t.block, t.n)
		switch {
		case t.read == direct:
			t.directImages(buf, i0, i1)
		case t.read == direct3x3 && t.pass == convForward:
			t.forward3(buf, i0, i1)
		case t.read == direct3x3:
			k, f := g.PatchSize(), c.f
			t.kernelGrad3(buf, c.dw[chunk*k*f:(chunk+1)*k*f], i0, i1, blk == lo)
		case t.pass == convForward:
			p, k, f := g.Pixels(), g.PatchSize(), c.f
			rows, cols := unfold(buf, t.x, i0, i1, g)
			out := t.out[i0*p*f : i1*p*f]
			sgemmSerial(false, false, rows, f, k, 1, cols, k, t.w, f, 0, out, f)
			t.addBias(out, rows, f)
		case t.pass == convKernelGrad:
			p, k, f := g.Pixels(), g.PatchSize(), c.f
			rows, cols := unfold(buf, t.x, i0, i1, g)
			dz := t.y[i0*p*f : i1*p*f]
			beta := float32(1)
			if blk == lo {
				beta = 0
			}
			part := c.dw[chunk*k*f : (chunk+1)*k*f]
			if t.short {
				// dKᵀ = dzᵀ·cols: f rows of tiles where k would leave them
				// mostly empty.
				sgemmSerial(true, false, f, k, rows, 1, dz, f, cols, k, beta, part, k)
			} else {
				sgemmSerial(true, false, k, f, rows, 1, cols, k, dz, f, beta, part, f)
			}
		case t.pass == convInputGrad:
			if gt := &c.gt; gt.H > 0 {
				p, k, ch := gt.Pixels(), gt.PatchSize(), g.C
				rows, cols := unfold(buf, t.x, i0, i1, gt)
				sgemmSerial(false, false, rows, ch, k, 1, cols, k, c.wT, ch, 0, t.out[i0*p*ch:i1*p*ch], ch)
			} else {
				p, k, f := g.Pixels(), g.PatchSize(), c.f
				rows := (i1 - i0) * p
				dcols := buf[:rows*k]
				sgemmSerial(false, true, rows, k, f, 1, t.x[i0*p*f:i1*p*f], f, t.w, f, 0, dcols, k)
				col2im(t.out[i0*g.InSize():i1*g.InSize()], dcols, i1-i0, g)
			}
		}
	}
}

// runBF16 is run for the bfloat16 passes. Forward and stride-1 InputGrad
// round each image (or dz) into a zero-padded copy and multiply its windows,
// read in place, by the rounded kernel (convBF16) — or, for an odd number
// of channels, unfold the rounded images first. KernelGrad rounds and
// unfolds a block and pairs its rows (at once from the padded images where
// the output rows have even width: unfoldPaired), pairs those of dz, and
// sums dzᵀ·cols into the chunk's part of the kernel gradient (transposed,
// as in its short form).
func (t *convTask) runBF16(chunk, lo, hi int) {
	c, g := t.c, &t.c.g
	f := c.f
	if t.pass == convInputGrad {
		g, f = &c.gt, c.g.C
	}
	p, k, in := g.Pixels(), g.PatchSize(), g.InSize()
	b := &c.bfs[chunk]
	w := pairWords()
	for blk := lo; blk < hi; blk++ {
		i0, i1 := blk*t.block, min((blk+1)*t.block, t.n)
		if t.pass == convKernelGrad {
			var rows int
			if g.OW%2 == 0 && !c.noPaired {
				rows = t.unfoldPaired(b, i0, i1)
			} else {
				var cols []uint16
				rows, cols = t.unfoldBF16(b, g, i0, i1)
				b.colPairs = growTo(b.colPairs, (rows+1)/2*k)
				pairRows(b.colPairs, cols, rows, k)
			}
			kp := (rows + 1) / 2
			b.pad = growTo(b.pad, bgemmPad(kp))
			b.dzPairs = growTo(b.dzPairs, kp*f*w)
			if dz := t.y[i0*p*f : i1*p*f]; nativeBF16 {
				b.dz = growTo(b.dz, rows*f)
				toBF16(b.dz, dz)
				pairRows(b.dzPairs, b.dz, rows, f)
			} else {
				b.dzF = growTo(b.dzF, rows*f)
				widenBF16(b.dzF, dz)
				pairRowsF32(asFloats(b.dzPairs), b.dzF, rows, f)
			}
			beta := float32(1)
			if blk == lo {
				beta = 0
			}
			// dKᵀ = dzᵀ·cols, summed over pairs of rows
			bgemm(f, k, kp, b.dzPairs, w, f*w, b.colPairs, beta, c.dw[chunk*k*f:(chunk+1)*k*f], k, b.pad)
			continue
		}
		out := t.out[i0*p*f : i1*p*f]
		if g.C%2 == 0 {
			b.imgA = growTo(b.imgA, paddedSize(g))
			for i := i0; i < i1; i++ {
				padA(b.imgA, t.x[i*in:(i+1)*in], g)
				convBF16(out[(i-i0)*p*f:(i-i0+1)*p*f], b.imgA, g, c.wp, f)
			}
		} else {
			rows, a := t.unfoldA(b, g, i0, i1)
			bgemm(rows, f, k/2, a, k/2*w, w, c.wp, 0, out, f, b.pad)
		}
		t.addBias(out, (i1-i0)*p, f)
	}
}

// unfoldBF16 rounds and unfolds images [i0, i1) into b.cols and returns
// the rows.
func (t *convTask) unfoldBF16(b *bfBufs, g *ConvGeom, i0, i1 int) (rows int, cols []uint16) {
	in := g.InSize()
	b.x = growTo(b.x, (i1-i0)*in)
	toBF16(b.x, t.x[i0*in:i1*in])
	b.cols = growTo(b.cols, (i1-i0)*g.Pixels()*g.PatchSize())
	return unfold(b.cols, b.x, 0, i1-i0, g)
}

// unfoldA rounds and unfolds images [i0, i1) as A for this CPU's kernel
// (rows of PatchSize/2 pairs, pairWords words each) and returns the rows.
func (t *convTask) unfoldA(b *bfBufs, g *ConvGeom, i0, i1 int) (rows int, a []uint32) {
	in, k := g.InSize(), g.PatchSize()
	b.pad = growTo(b.pad, bgemmPad(k/2))
	if nativeBF16 {
		rows, cols := t.unfoldBF16(b, g, i0, i1)
		return rows, asPairs(cols)
	}
	rows = (i1 - i0) * g.Pixels()
	b.xf = growTo(b.xf, (i1-i0)*in)
	widenBF16(b.xf, t.x[i0*in:i1*in])
	b.colsF = growTo(b.colsF, rows*k)
	_, cols := unfold(b.colsF, b.xf, 0, i1-i0, g)
	return rows, asWords(cols)
}

// unfoldPaired rounds, unfolds and pairs the images [i0, i1) into
// b.colPairs, for KernelGrad, and returns the number of unfolded rows: the
// matrix pairRows makes of the unfolded rows, built without them. With
// output rows of even width, the two rows of every pair are neighbouring
// outputs of one image row, whose windows start SW columns apart. So each
// image is rounded into its padded copy (padBF16), which is paired with
// itself SW columns on, and a pair of windows is then KH runs of KW·C
// pairs of that, copied in place. (The last SW columns of each padded row
// pair with the next row's first; no window's left half reaches them.)
func (t *convTask) unfoldPaired(b *bfBufs, i0, i1 int) (rows int) {
	g := &t.c.g
	hp, wp := paddedDims(g)
	in, k, run := g.InSize(), g.PatchSize(), g.KW*g.C
	seg, step := wp*g.C, g.SW*g.C // a padded row; a window's shift
	half := g.Pixels() / 2
	b.img = growTo(b.img, paddedSize(g))
	b.imgPairs = growTo(b.imgPairs, hp*seg)
	b.colPairs = growTo(b.colPairs, (i1-i0)*half*k)
	b.pad = growTo(b.pad, bgemmPad(max(k/2, (i1-i0)*half)))
	q := 0
	for i := i0; i < i1; i++ {
		padBF16(b.img, t.x[i*in:(i+1)*in], g)
		interleave(b.imgPairs, b.img, b.img[step:]) // the slack after the image covers the shift
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox += 2 {
				dst := b.colPairs[q*k : q*k+k]
				src := b.imgPairs[oy*g.SH*seg+ox*step:]
				for ki := 0; ki < g.KH; ki++ {
					copy(dst[ki*run:ki*run+run], src[ki*seg:ki*seg+run])
				}
				q++
			}
		}
	}
	return (i1 - i0) * g.Pixels()
}

// addBias adds the forward pass's bias, if any, to the rows×f outputs out,
// then applies ReLU when the pass has it.
func (t *convTask) addBias(out []float32, rows, f int) {
	switch {
	case t.bias != nil && t.relu:
		biasRelu(out, rows, f, t.bias)
	case t.bias != nil:
		addBias(out, rows, f, t.bias)
	}
}

// paddedDims is the size of the padded image the windows of g read: the
// rows and columns from the first window's top-left corner to the last
// one's bottom-right.
func paddedDims(g *ConvGeom) (hp, wp int) {
	return (g.OH-1)*g.SH + g.KH, (g.OW-1)*g.SW + g.KW
}

// paddedSize is the length of padBF16's output: the padded image and the
// slack that the last tile's unused rows read past it.
func paddedSize(g *ConvGeom) int {
	hp, wp := paddedDims(g)
	return (hp*wp + 8*g.SW + g.KW) * g.C
}

// padBF16 rounds one image x (H×W×C) into xp, padded as padImage pads
// it, and zeros the slack after it (paddedSize).
func padBF16(xp []uint16, x []float32, g *ConvGeom) {
	hp, wp := paddedDims(g)
	xp = xp[:paddedSize(g)]
	clear(xp[hp*wp*g.C:])
	padImage(xp, x, g, toBF16)
}

// padA is padBF16 into a (paddedSize(g) words) as A for this CPU's kernel:
// bfloat16 pairs, or, for the emulation, the rounded values widened.
func padA(a []uint32, x []float32, g *ConvGeom) {
	if nativeBF16 {
		padBF16(asHalves(a, paddedSize(g)), x, g)
		return
	}
	hp, wp := paddedDims(g)
	xp := asFloats(a[:paddedSize(g)])
	clear(xp[hp*wp*g.C:])
	padImage(xp, x, g, widenBF16)
}

// convBF16 sets out (OH×OW×f) to the convolution of the padded, rounded
// image a (padA) with the kernel in pairs wp ((KH·KW·C)/2 × f), for an
// even channel count C: the windows of neighbouring outputs in a row start
// C·SW values apart in a and run on for KW·C values in each of KH rows, so
// the micro-kernel reads them in place, one segment per kernel row. Rows
// are cut into tiles of 8 outputs, or of 7 where that wastes less (28-,
// 14- and 7-wide images).
func convBF16(out []float32, a []uint32, g *ConvGeom, wp []uint32, f int) {
	const nr = 32
	k8, k7 := bf16Kernels()
	mr, kern := 8, k8
	if ceilDiv(g.OW, 7)*7 < ceilDiv(g.OW, 8)*8 {
		mr, kern = 7, k7
	}
	_, wpad := paddedDims(g)
	ch, w := g.C, pairWords()
	kp, rsA, seg := g.KW*ch/2, g.SW*ch/2*w, wpad*ch/2*w // strides in words
	_, _ = out[g.Pixels()*f-1], wp[g.KH*kp*f-1]
	for y := 0; y < g.OH; y++ {
		for x := 0; x < g.OW; x += mr {
			ap := unsafe.Pointer(&a[y*g.SH*seg+x*rsA])
			for j := 0; j < f; j += nr {
				kern(kp, ap, rsA, w, unsafe.Pointer(&wp[j]), f, unsafe.Pointer(&out[(y*g.OW+x)*f+j]), f, 1, 0, flagBeta0, min(mr, g.OW-x), min(nr, f-j), g.KH, seg)
			}
		}
	}
}

// Forward sets out (n, OH, OW, F) to the convolution of the n images x
// (n, H, W, C) with the kernel w ((KH·KW·C) × F), plus bias (nil for none),
// then ReLU when relu is set. An empty batch (n = 0) has nothing to set.
func (c *Conv) Forward(out, x, w, bias []float32, n int, relu bool) {
	if n == 0 {
		return
	}
	g := &c.g
	p, k := g.Pixels(), g.PatchSize()
	_, _ = out[n*p*c.f-1], x[n*g.InSize()-1]
	read := unfolded
	switch {
	case c.direct3():
		read = direct3x3
	case c.directOK(g):
		read = direct
	}
	bf := c.bf16For(k, c.f, w)
	t := c.plan(n, p, k, c.f, bf, read, g)
	t.pass, t.out, t.x, t.w, t.bias, t.relu = convForward, out, x, w, bias, relu
	if t.read == direct {
		t.dp = c.directPlan(0, g, c.f, w)
	}
	c.pass(t)
}

// KernelGrad sets dw ((KH·KW·C) × F) to colsᵀ·dz summed over the n images:
// the kernel gradient, for the images x and the gradient dz (n, OH, OW, F)
// with respect to the convolution's output. Each chunk of blocks sums its
// own part; the parts are added in order. There are min(blocks,
// max(4, Threads())) chunks (plan), so the result is the same bits on one
// to four threads, and on more it may differ in its last bits from one
// thread count to another. Over no images (n = 0) the sum is zero.
func (c *Conv) KernelGrad(dw, x, dz []float32, n int) {
	g := &c.g
	p, k, f := g.Pixels(), g.PatchSize(), c.f
	if n == 0 {
		clear(dw[:k*f])
		return
	}
	_, _, _ = dw[k*f-1], x[n*g.InSize()-1], dz[n*p*f-1]
	bf := c.bf16For(k, f, nil)
	read := unfolded
	if c.direct3() {
		read = direct3x3
	}
	t := c.plan(n, p, k, f, bf, read, g)
	t.pass, t.x, t.y, t.short = convKernelGrad, x, dz, bf || (k < 16 && f > k && t.read != direct3x3)
	c.dw = grow(c.dw, t.nc*k*f)
	c.pass(t)
	for part := range t.nc {
		sum := c.dw[part*k*f : (part+1)*k*f]
		switch {
		case t.short:
			for i := 0; i < k; i++ {
				for j := 0; j < f; j++ {
					if part == 0 {
						dw[i*f+j] = sum[j*k+i]
					} else {
						dw[i*f+j] += sum[j*k+i]
					}
				}
			}
		case part == 0:
			copy(dw[:k*f], sum)
		default:
			addTo(dw[:k*f], sum)
		}
	}
}

// InputGrad sets dx (n, H, W, C) to the gradient with respect to the
// images, given dz and the kernel w. For stride 1 it is the convolution of
// dz with w rotated by 180°, unfolded and multiplied like Forward (a deep
// product, no scattered sums); for larger strides dz·wᵀ is folded back onto
// the images (col2im). An empty batch (n = 0) has nothing to set.
func (c *Conv) InputGrad(dx, dz, w []float32, n int) {
	if n == 0 {
		return
	}
	g := &c.g
	_, _ = dx[n*g.InSize()-1], dz[n*g.Pixels()*c.f-1]
	var t convTask
	if gt := &c.gt; gt.H > 0 {
		k := gt.PatchSize()
		c.wT = grow(c.wT, k*g.C)
		RotateKernel(c.wT, w, g.KH, g.KW, g.C, c.f)
		read := unfolded
		if c.directOK(gt) {
			read = direct
		}
		t = c.plan(n, gt.Pixels(), k, g.C, c.bf16For(k, g.C, c.wT), read, gt)
		if t.read == direct {
			t.dp = c.directPlan(1, gt, g.C, c.wT)
		}
	} else {
		t = c.plan(n, g.Pixels(), g.PatchSize(), c.f, false, unfolded, g)
	}
	t.pass, t.out, t.x, t.w = convInputGrad, dx, dz, w
	c.pass(t)
}
