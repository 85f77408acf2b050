package kernels

// MaxPool2D sets y (n, OH, OW, C) to the maximum of x (n, H, W, C) over each
// window, ignoring the padding, and records in arg the index into x of the
// element each maximum came from (the first one on ties), for the backward
// pass.
func MaxPool2D(y []float32, arg []int32, x []float32, n int, g *ConvGeom) {
	c := g.C
	_ = y[n*g.Pixels()*c-1]
	_ = arg[n*g.Pixels()*c-1]
	_ = x[n*g.InSize()-1]
	o := 0
	for b := 0; b < n; b++ {
		base := b * g.InSize()
		for oy := 0; oy < g.OH; oy++ {
			y0, y1 := max(oy*g.SH-g.PadTop, 0), min(oy*g.SH-g.PadTop+g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				x0, x1 := max(ox*g.SW-g.PadLeft, 0), min(ox*g.SW-g.PadLeft+g.KW, g.W)
				yr, ar := y[o:o+c], arg[o:o+c]
				o += c
				// the window always holds at least one element: padding is
				// smaller than the window.
				first := base + (y0*g.W+x0)*c
				copy(yr, x[first:first+c])
				for j := range ar {
					ar[j] = int32(first + j)
				}
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := base + (iy*g.W+ix)*c
						if off == first {
							continue
						}
						xr := x[off : off+c]
						for j, v := range xr {
							if v > yr[j] {
								yr[j] = v
								ar[j] = int32(off + j)
							}
						}
					}
				}
			}
		}
	}
}

// MaxPool2DBackward overwrites dx (n, H, W, C) with the gradient of
// MaxPool2D: each dy flows back to the element arg says was the maximum.
func MaxPool2DBackward(dx, dy []float32, arg []int32, n int, g *ConvGeom) {
	dx = dx[:n*g.InSize()]
	clear(dx)
	arg = arg[:len(dy)]
	for i, a := range arg {
		dx[a] += dy[i]
	}
}

// AvgPool2D sets y (n, OH, OW, C) to the mean of x (n, H, W, C) over each
// window, counting only the elements inside the image, as Keras does.
func AvgPool2D(y, x []float32, n int, g *ConvGeom) {
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

// axpy sets y[i] += a·x[i].
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}
