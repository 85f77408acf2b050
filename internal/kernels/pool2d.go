package kernels

// MaxPool2D sets y (n, OH, OW, C) to the maximum of x (n, H, W, C) over
// each window, ignoring the padding. A window holding a NaN gives NaN (its
// first, in row-major order), as PyTorch's max_pool2d does, and of equal
// maxima (+0 and −0) the first is kept, the same bits on every path.
func MaxPool2D(y, x []float32, n int, g *ConvGeom) {
	if n == 0 {
		return
	}
	_ = y[n*g.Pixels()*g.C-1]
	_ = x[n*g.InSize()-1]
	if !worthSplitting(n, n*g.InSize()) {
		maxPool2D(y, x, n, g)
		return
	}
	runSplit(&maxPoolTasks, maxPoolTask{y: y, x: x, g: g}, n)
}

// maxPoolTask is MaxPool2D over images [lo, hi), or its gradient when dx
// is set.
type maxPoolTask struct {
	dx, dy, y, x []float32
	g            *ConvGeom
	relu         bool // the gradient through a ReLU before the pooling too
}

var maxPoolTasks freeList[maxPoolTask]

func (t *maxPoolTask) run(lo, hi int) {
	g := t.g
	out, in := g.Pixels()*g.C, g.InSize()
	if t.dx == nil {
		maxPool2D(t.y[lo*out:hi*out], t.x[lo*in:hi*in], hi-lo, g)
		return
	}
	maxPool2DBackward(t.dx[lo*in:hi*in], t.dy[lo*out:hi*out], t.x[lo*in:hi*in], t.y[lo*out:hi*out], hi-lo, g, t.relu)
}

func maxPool2D(y, x []float32, n int, g *ConvGeom) {
	c := g.C
	_ = y[n*g.Pixels()*c-1]
	_ = x[n*g.InSize()-1]
	if g.pool2x2() {
		// most of the time of a 2×2 pool: one vector per 16 channels.
		for b := 0; b < n; b++ {
			img := x[b*g.InSize():]
			for oy := 0; oy < g.OH; oy++ {
				row := (b*g.OH + oy) * g.OW * c
				maxPool2RowAVX512(&y[row], &img[2*oy*g.W*c], &img[(2*oy+1)*g.W*c], g.OW, c)
			}
		}
		return
	}
	o := 0
	for b := 0; b < n; b++ {
		base := b * g.InSize()
		for oy := 0; oy < g.OH; oy++ {
			y0, y1 := max(oy*g.SH-g.PadTop, 0), min(oy*g.SH-g.PadTop+g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				x0, x1 := max(ox*g.SW-g.PadLeft, 0), min(ox*g.SW-g.PadLeft+g.KW, g.W)
				yr := y[o : o+c]
				o += c
				// the window always holds at least one element: padding is
				// smaller than the window.
				first := base + (y0*g.W+x0)*c
				copy(yr, x[first:first+c])
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := base + (iy*g.W+ix)*c
						for j, v := range x[off : off+c] {
							if v > yr[j] || v != v && yr[j] == yr[j] {
								yr[j] = v
							}
						}
					}
				}
			}
		}
	}
}

// pool2x2 reports whether the AVX-512 loops for 2×2 windows with stride 2
// and no padding apply. Same padding of an odd height or width pads below
// or to the right only (PadTop and PadLeft stay 0): the last windows then
// hang over the image, which those loops would read past.
func (g *ConvGeom) pool2x2() bool {
	return hasAVX512 && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 &&
		g.PadTop == 0 && g.PadLeft == 0 && 2*g.OH <= g.H && 2*g.OW <= g.W && g.C%16 == 0
}

// MaxPool2DBackward overwrites dx (n, H, W, C) with the gradient of
// MaxPool2D, given its input x and output y: each dy flows back to the
// first element of its window (in row-major order) that equals the
// maximum, or to its first NaN when the maximum is NaN (the element
// MaxPool2D returned; PyTorch routes it to the NaN it returns, the last of
// several), and every other element gets zero.
func MaxPool2DBackward(dx, dy, x, y []float32, n int, g *ConvGeom) {
	maxPoolGradient(dx, dy, x, y, n, g, false)
}

// MaxPool2DReluBackward is MaxPool2DBackward followed by
// ReluBackward(dx, dx, x), bit for bit, in one pass: the gradient through
// a ReLU and then a max pooling, for a pooling whose input x is the
// ReLU's output. A dy flows back only where its window's maximum y is
// positive; where it is not, every input of the window is ReLU's zero.
func MaxPool2DReluBackward(dx, dy, x, y []float32, n int, g *ConvGeom) {
	maxPoolGradient(dx, dy, x, y, n, g, true)
}

// maxPoolGradient is both gradients, split across the pool when worth it;
// relu says whether ReLU's derivative is applied too.
func maxPoolGradient(dx, dy, x, y []float32, n int, g *ConvGeom, relu bool) {
	if n == 0 {
		return
	}
	_ = dx[n*g.InSize()-1]
	_ = x[n*g.InSize()-1]
	_ = y[n*g.Pixels()*g.C-1]
	_ = dy[n*g.Pixels()*g.C-1]
	if !worthSplitting(n, n*g.InSize()) {
		maxPool2DBackward(dx, dy, x, y, n, g, relu)
		return
	}
	runSplit(&maxPoolTasks, maxPoolTask{dx: dx, dy: dy, y: y, x: x, g: g, relu: relu}, n)
}

func maxPool2DBackward(dx, dy, x, y []float32, n int, g *ConvGeom, relu bool) {
	c := g.C
	dx = dx[:n*g.InSize()]
	_ = x[n*g.InSize()-1]
	_ = y[n*g.Pixels()*c-1]
	_ = dy[n*g.Pixels()*c-1]
	if g.pool2x2() {
		for b := 0; b < n; b++ {
			img, dimg := x[b*g.InSize():(b+1)*g.InSize()], dx[b*g.InSize():(b+1)*g.InSize()]
			for oy := 0; oy < g.OH; oy++ {
				row := (b*g.OH + oy) * g.OW * c
				r0, r1 := 2*oy*g.W*c, (2*oy+1)*g.W*c
				maxPool2RowBackwardAVX512(&dimg[r0], &dimg[r1], &dy[row], &img[r0], &img[r1], &y[row], g.OW, c, relu)
				if g.W%2 == 1 { // the last column is in no window
					clear(dimg[r0+(g.W-1)*c : r0+g.W*c])
					clear(dimg[r1+(g.W-1)*c : r1+g.W*c])
				}
			}
			if g.H%2 == 1 { // nor is the last row
				clear(dimg[(g.H-1)*g.W*c:])
			}
		}
		return
	}
	clear(dx)
	o := 0
	for b := 0; b < n; b++ {
		base := b * g.InSize()
		for oy := 0; oy < g.OH; oy++ {
			y0, y1 := max(oy*g.SH-g.PadTop, 0), min(oy*g.SH-g.PadTop+g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				x0, x1 := max(ox*g.SW-g.PadLeft, 0), min(ox*g.SW-g.PadLeft+g.KW, g.W)
				for j := 0; j < c; j++ {
					m := y[o+j]
					if relu && !(m > 0) {
						continue
					}
				find:
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							// a NaN maximum is the window's first NaN (no
							// input equals it); a window without one has no
							// NaN input.
							if off := base + (iy*g.W+ix)*c + j; x[off] == m || x[off] != x[off] {
								dx[off] += dy[o+j]
								break find
							}
						}
					}
				}
				o += c
			}
		}
	}
}

// AvgPool2D sets y (n, OH, OW, C) to the mean of x (n, H, W, C) over each
// window, counting only the elements inside the image, as Keras does.
func AvgPool2D(y, x []float32, n int, g *ConvGeom) {
	if n == 0 {
		return
	}
	c := g.C
	_ = y[n*g.Pixels()*c-1]
	_ = x[n*g.InSize()-1]
	o := 0
	for b := 0; b < n; b++ {
		base := b * g.InSize()
		for oy := 0; oy < g.OH; oy++ {
			y0, y1 := max(oy*g.SH-g.PadTop, 0), min(oy*g.SH-g.PadTop+g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				x0, x1 := max(ox*g.SW-g.PadLeft, 0), min(ox*g.SW-g.PadLeft+g.KW, g.W)
				yr := y[o : o+c]
				o += c
				clear(yr)
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := base + (iy*g.W+ix)*c
						addTo(yr, x[off:off+c])
					}
				}
				Scale(yr, 1/float32((y1-y0)*(x1-x0)))
			}
		}
	}
}

// AvgPool2DBackward overwrites dx (n, H, W, C) with the gradient of
// AvgPool2D: each dy is shared equally among the elements of its window.
func AvgPool2DBackward(dx, dy []float32, n int, g *ConvGeom) {
	c := g.C
	dx = dx[:n*g.InSize()]
	clear(dx)
	o := 0
	for b := 0; b < n; b++ {
		base := b * g.InSize()
		for oy := 0; oy < g.OH; oy++ {
			y0, y1 := max(oy*g.SH-g.PadTop, 0), min(oy*g.SH-g.PadTop+g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				x0, x1 := max(ox*g.SW-g.PadLeft, 0), min(ox*g.SW-g.PadLeft+g.KW, g.W)
				dr := dy[o : o+c]
				o += c
				s := 1 / float32((y1-y0)*(x1-x0))
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := base + (iy*g.W+ix)*c
						axpy(dx[off:off+c], s, dr)
					}
				}
			}
		}
	}
}

// GlobalAvgPool sets y (n, C) to the mean over the p positions of each
// image in x (n, p, C).
func GlobalAvgPool(y, x []float32, n, p, c int) {
	for b := 0; b < n; b++ {
		SumRows(y[b*c:(b+1)*c], x[b*p*c:(b+1)*p*c], p, c, 0)
		Scale(y[b*c:(b+1)*c], 1/float32(p))
	}
}

// GlobalAvgPoolBackward sets dx (n, p, C) to dy (n, C) / p at every
// position.
func GlobalAvgPoolBackward(dx, dy []float32, n, p, c int) {
	s := 1 / float32(p)
	for b := 0; b < n; b++ {
		dr := dy[b*c : (b+1)*c]
		for i := 0; i < p; i++ {
			row := dx[(b*p+i)*c : (b*p+i+1)*c]
			for j, v := range dr {
				row[j] = v * s
			}
		}
	}
}

// axpy sets y[i] += a·x[i], the product rounded before the sum (no fused
// multiply-add, which Go on arm64 would otherwise make of it).
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += float32(a * v)
	}
}
