package kernels

import (
	"runtime"
	"unsafe"
)

// Convolutions read in place. The forward pass and the stride-1 input
// gradient of a float32 Conv multiply each window of the images by the
// kernel; instead of unfolding the windows (im2col) and calling SGEMM, the
// AVX-512 path copies each image once into a zero-padded image and hands
// the addresses of 8 neighbouring windows to convTileAVX512, which reads
// each window row by row — a segment of KW·C values per kernel row — in
// place. The kernel is packed once per pass into 32-column panels.
//
// The sums are SGEMM's: the same k blocks (kBlock), each element's
// products summed in window order with fused multiply-adds from zero, the
// first block stored and the others added as SGEMM's beta adds them, so the
// results are those of the unfolded path bit for bit (TestConvDirect holds
// them to it). A k block may end inside a kernel row; its segments list
// says where.

// directPass is the plan of one in-place pass.
type directPass struct {
	g      *ConvGeom // the windows' geometry (Conv.g, or Conv.gt for InputGrad)
	f      int       // output channels
	panels []float32 // the kernel, (k × f), in 32-column panels [q][p][32]
	starts []int     // the first window value of each k block
	segs   [][]int   // each k block's segments: (byte offset, count) pairs, then (0, 0)
}

// directOK reports whether a pass with windows g reads them in place.
func (c *Conv) directOK(g *ConvGeom) bool {
	return hasAVX512 && !c.noDirect && g.C >= 2 && g.PatchSize() >= 32
}

// directPlan fills c.dps[i] for windows g, f output channels and the
// kernel w, and returns it.
func (c *Conv) directPlan(i int, g *ConvGeom, f int, w []float32) *directPass {
	d := &c.dps[i]
	d.g, d.f = g, f
	_, wp := paddedDims(g)
	k := g.PatchSize()
	np := ceilDiv(f, 32)
	d.panels = growTo(d.panels, np*k*32)
	for q := range np {
		nr := min(32, f-32*q)
		for p := 0; p < k; p++ {
			dst := d.panels[(q*k+p)*32 : (q*k+p+1)*32]
			copy(dst, w[p*f+32*q:p*f+32*q+nr])
			clear(dst[nr:])
		}
	}
	step := kBlock(gemmKern.kc, k)
	d.starts = d.starts[:0]
	nb := ceilDiv(k, step)
	for len(d.segs) < nb {
		d.segs = append(d.segs, nil)
	}
	seg := g.KW * g.C // the values of one kernel row, contiguous in the padded image
	for b := range nb {
		p0, p1 := b*step, min((b+1)*step, k)
		d.starts = append(d.starts, p0)
		s := d.segs[b][:0]
		for r := p0 / seg; r*seg < p1; r++ {
			lo, hi := max(p0, r*seg), min(p1, (r+1)*seg)
			s = append(s, 4*(r*wp*g.C+lo-r*seg), hi-lo)
		}
		d.segs[b] = append(s, 0, 0)
	}
	return d
}

// padImage writes the image x (H×W×C) into xp, hp×wp×C = paddedDims(g),
// with PadTop zero rows above it, PadLeft zero columns to its left and
// zeros below and to the right as far as the windows reach; put writes each
// row's values (copyRow, or toBF16 to round them).
func padImage[T float32 | uint16](xp []T, x []float32, g *ConvGeom, put func(dst []T, src []float32)) {
	hp, wp := paddedDims(g)
	ch := g.C
	xp = xp[:hp*wp*ch]
	for py := 0; py < hp; py++ {
		row := xp[py*wp*ch : (py+1)*wp*ch]
		iy := py - g.PadTop
		if iy < 0 || iy >= g.H {
			clear(row)
			continue
		}
		left := min(g.PadLeft, wp) * ch
		n := max(min(g.W, wp-g.PadLeft), 0) * ch
		clear(row[:left])
		put(row[left:left+n], x[iy*g.W*ch:iy*g.W*ch+n])
		clear(row[left+n:])
	}
}

// copyRow is padImage's put for float32 images.
func copyRow(dst, src []float32) { copy(dst, src) }

// directImages runs the in-place pass over images [i0, i1) for Conv.run:
// out = the convolution of each image of x, then the forward pass's bias
// and ReLU.
func (t *convTask) directImages(pad []float32, i0, i1 int) {
	d := t.dp
	g := d.g
	p, f, k := g.Pixels(), d.f, g.PatchSize()
	hp, wp := paddedDims(g)
	xp := pad[:hp*wp*g.C]
	for i := i0; i < i1; i++ {
		padImage(xp, t.x[i*g.InSize():(i+1)*g.InSize()], g, copyRow)
		out := t.out[i*p*f : (i+1)*p*f]
		base := uintptr(unsafe.Pointer(&xp[0]))
		var rows [8]uintptr
		for t0 := 0; t0 < p; t0 += 8 {
			mr := min(8, p-t0)
			for r := range rows {
				pix := t0 + min(r, mr-1) // rows past the tile repeat its last
				oy, ox := pix/g.OW, pix%g.OW
				rows[r] = base + uintptr(4*(oy*g.SH*wp+ox*g.SW)*g.C)
			}
			for q := 0; 32*q < f; q++ {
				nr := min(32, f-32*q)
				for b, p0 := range d.starts {
					flags, beta := 0, float32(1)
					if b == 0 {
						flags, beta = flagBeta0, 0
					}
					convTileAVX512(&rows, &d.segs[b][0], unsafe.Pointer(&d.panels[(q*k+p0)*32]), unsafe.Pointer(&out[t0*f+32*q]), f, flags, mr, nr, beta)
				}
			}
		}
		runtime.KeepAlive(xp)
		t.addBias(out, p, f)
	}
}
