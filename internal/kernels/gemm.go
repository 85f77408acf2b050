package kernels

import "unsafe"

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices.
//
// op(A) is m×k (A is k×m when transA), op(B) is k×n (B is n×k when transB)
// and C is m×n. lda, ldb and ldc are the row strides of A, B and C. When beta
// is 0, C is overwritten and its previous contents (even NaNs) are ignored.
// Large products are split across the worker pool.
//
// Results are deterministic and do not depend on GOMAXPROCS: every element
// of C is reduced over k in the same order (k blocks of a size that depends
// only on k, each the micro-kernel's sequential FMA chain, added into C one
// after another) whichever part computes it, whether work is split over
// rows and columns of C or over whole k blocks (see gemmSplit). Nor do they
// depend on the micro-kernel (see SIMD): the AVX-512, AVX2 and portable
// kernels use the same k blocks and fused multiply-adds (the portable one
// emulates them exactly, fma32), so every path gives the same bits.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSerial is Sgemm on the calling goroutine alone, for drivers that
// share out whole blocks of work themselves (conv2d.go).
func sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SIMD names the SGEMM micro-kernel in use: "avx512", "avx2" or "generic".
func SIMD() string { return gemmKern.name }

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	switch {
	case m < 0 || n < 0 || k < 0:
		panic("kernels: negative dimension")
	case lda < max(ac, 1) || ldb < max(bc, 1) || ldc < max(n, 1):
		panic("kernels: leading dimension too small")
	case !fits(len(a), ar, ac, lda):
		panic("kernels: A too short")
	case !fits(len(b), br, bc, ldb):
		panic("kernels: B too short")
	case !fits(len(c), m, n, ldc):
		panic("kernels: C too short")
	}
}

// fits reports whether a slice of length size holds a rows×cols matrix
// with row stride ld ≥ cols: (rows−1)·ld + cols values, a count compared
// without forming it, which a huge ld would overflow (and the kernels'
// addresses with it).
func fits(size, rows, cols, ld int) bool {
	return rows == 0 || size >= cols && (rows == 1 || (size-cols)/(rows-1) >= ld)
}

// sgemmRef is the naive reference that tests compare the fast paths against.
func sgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// Design (Goto/BLIS, transposed for row-major C):
//
// The micro-kernel computes an mr×nr tile of C (nr along the contiguous rows
// of C, held in vector registers: 8×32 with AVX-512, 6×16 with AVX2) as a
// sequence of rank-1 updates: per step p it loads nr values of B's row p,
// broadcasts the mr values A[i][p] and FMAs. It reads A through two strides
// (row and k), so plain and transposed A are both used in place; only
// partial edge tiles are copied (zero padded). It reads B through a row
// stride: in place when not transposed, or packed into nr-wide panels
// [p][nr] (transposed B always; plain B when reuse and row stride are large).
// Loops, outermost first:
//
//	k in blocks of kb (all of k if B's k×ncb block fits the L2 budget)
//	  n in blocks of ncb                   (B block ≤ kc×ncb: L2)
//	    m in steps of mr
//	      k in blocks of kc (≤ 512, balanced: A micro-panel mr×kc in L1)
//	        n in steps of nr → micro-kernel
//
// The first k block applies beta, later ones accumulate. The k-block sizes
// depend only on k, and the kernel reduces each C element over a k block in
// order, so neither the loop order nor the partition into parts (over m or
// n at tile boundaries, or over k at block boundaries) changes any result.

// kernelFunc computes, for the mr×nr tile at c (row stride ldc):
//
//	C = alpha * Σ_{p<kc} A[i][p]*B[p][j] + beta*C   (beta ignored if flags&1)
//
// where A[i][p] is at a + (i*rsA + p*csA) floats and B[p][j] at b + p*ldb + j.
// A must be readable for all kernel.mr rows. A masked kernel reads only the
// first nr columns of B and touches only the mr×nr tile of C; an unmasked one
// requires mr == kernel.mr and nr == kernel.nr (the driver routes partial
// tiles through packed B and a scratch tile).
type kernelFunc func(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)

const flagBeta0 = 1

// gemmKernel describes one micro-kernel and its blocking.
type gemmKernel struct {
	name   string
	mr, nr int
	masked bool
	fn     kernelFunc
	// narrow, if not nil, is a masked kernel for tiles with nr ≤ nr/2 that
	// computes every element exactly as fn does, with half the work.
	narrow kernelFunc
	// packT, if not nil, transposes nb 8×8 blocks: rows r<8 of src (stride
	// ldsrc floats), columns 8q..8q+7, go to dst + (8q+c)*dstStride + r.
	packT func(dst unsafe.Pointer, dstStride int, src unsafe.Pointer, ldsrc int, nb int)
	kc    int // k block
	ncb   int // n block (multiple of nr)
}

// gemmKern is the kernel Sgemm uses; tests switch it to cover every kernel
// the CPU supports.
var gemmKern = bestKernel()

// Operand packing. A is read in place except for partial edge tiles: the
// micro-panel (mr rows × kc) stays in L1 across a B block either way, and
// measurements found copying it never paid (its rows are long contiguous
// streams). A non-transposed B is packed only when it is reused by many A
// micro-panels and its rows are far apart (stride ≥ 512 floats), where
// walking kc rows per micro-kernel call costs TLB and prefetch misses;
// transposed B is always packed.
var (
	packBMinTiles  = 16
	packBMinStride = 512
	partMinWork    = 1 << 17 // least m·n·k per parallel part
	kSplitMaxSums  = 1 << 16 // most m·n·(k blocks) that gemmSplit splits along k
)

// gemmTask carries one Sgemm call; parts of it (blocks of C, or of the sum
// over k: see gemmSplit) are its parallel work items.
type gemmTask struct {
	kern           *gemmKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	pm, pn, pk     int // parts along m, n and k (see gemmSplit)
	// partials holds the sums of the k blocks that the parts along k after
	// the first compute, m×n each (see gemmSplit), which sgemm then adds
	// into C in order.
	partials []float32
}

var gemmTasks freeList[gemmTask]

// packBuf holds one goroutine's packing space while it computes a part.
type packBuf struct {
	a, b, t []float32
}

var packBufs freeList[packBuf]

// kPartials recycles gemmTask.partials.
var kPartials freeList[[]float32]

// sgemm is Sgemm split over at most threads workers.
func sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	t := gemmTask{kern: gemmKern, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, pm: 1, pn: 1, pk: 1}
	if threads > 1 {
		t.pm, t.pn, t.pk = gemmSplit(gemmKern, m, n, k, threads)
	}
	parts := t.pm * t.pn * t.pk
	if parts == 1 {
		t.run(0, 1)
		return
	}
	if t.pk == 1 {
		runSplit(&gemmTasks, t, parts) // parts ≤ threads: one chunk each
		return
	}
	blocks := ceilDiv(k, kBlock(gemmKern.kc, k))
	later := blocks - blocks/t.pk // the blocks of the parts after the first
	buf := kPartials.get()
	*buf = grow(*buf, later*m*n)
	t.partials = *buf
	runSplit(&gemmTasks, t, parts)
	// C was left with the sum of the first part's blocks; add each later
	// block's sum in order, as the serial k loop's epilogue does
	// (C + alpha·S).
	for b := range later {
		sums := t.partials[b*m*n:]
		for i := range m {
			addTo(c[i*ldc:][:n], sums[i*n:][:n])
		}
	}
	kPartials.put(buf)
}

// gemmSplit picks how many parts to split the product into along m, n and
// k for w threads: one per thread, each of at least partMinWork
// multiply-adds.
//
// A small C with a sum over more than one k block (all the blocks' sums,
// m·n each, at most kSplitMaxSums floats) is split along k first, into
// parts of equally many whole k blocks (if the blocks divide among some of
// the threads): parts along m or n would each read all of B or all of A,
// whose long k extent then outweighs C, while parts along k read disjoint
// slices of both. In a
// model this is a dense layer's forward product at a small batch, and its
// parts along k read the weight matrix by contiguous rows: the rows that
// the weight gradient's product (split along m) and the optimizer's update
// (split by contiguous ranges) touch on the same thread, so the weights
// stay in that core's cache instead of moving between cores three times a
// step. Each part sums its own blocks from zero, and sgemm adds the later
// parts' sums into C block by block, in order, which is exactly the serial
// loop's accumulation (C + alpha·S per block): the bits do not change.
//
// Otherwise C is split along m and n. Each part reads all of the operand
// along the side it is not split on (parts along m re-read B, parts along n
// re-read A), so the longer side is split first. On a tie n is split:
// parts along m would each pack all of B, while A, read in place, is
// re-read for every block of n anyway (1024³ on two threads of a Zen 4
// EPYC: 200 GFLOP/s split along n, 193 along m, four alternated runs of
// three). (Splitting into more parts than
// threads, claimed dynamically, was measured and did not pay, even on a
// busy machine.)
func gemmSplit(kern *gemmKernel, m, n, k, w int) (pm, pn, pk int) {
	tm, tn := ceilDiv(m, kern.mr), ceilDiv(n, kern.nr)
	p := min(w, m*n*k/partMinWork)
	if p < 2 {
		return 1, 1, 1
	}
	pk = 1
	if blocks := ceilDiv(k, kBlock(kern.kc, k)); blocks > 1 && m*n*blocks <= kSplitMaxSums {
		for d := min(p, blocks); d >= 2 && pk == 1; d-- {
			if blocks%d == 0 {
				pk = d
			}
		}
		p /= pk
	}
	if m > n {
		pm = min(p, tm)
		pn = min(p/pm, tn)
	} else {
		pn = min(p, tn)
		pm = min(p/pn, tm)
	}
	return pm, pn, pk
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// kBlock is the k extent of SGEMM's k blocks for a sum over k with a
// kernel whose block is at most kc: k split evenly, rounded up to a
// multiple of 8 (which keeps packing on its fast path). Every element of C
// is summed block by block, each block's products in order; drivers that
// compute such sums themselves (conv3x3.go) cut them the same way.
func kBlock(kc, k int) int {
	step := ceilDiv(k, ceilDiv(k, kc))
	return min((step+7)&^7, k)
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// run computes parts [lo, hi) of C.
func (t *gemmTask) run(lo, hi int) {
	buf := packBufs.get()
	kr := t.kern
	tm, tn := ceilDiv(t.m, kr.mr), ceilDiv(t.n, kr.nr)
	kStep := kBlock(kr.kc, t.k)
	blocks := ceilDiv(t.k, kStep)
	perPart := blocks / t.pk // k blocks, in each part along k
	for q := lo; q < hi; q++ {
		qk, r := q/(t.pm*t.pn), q%(t.pm*t.pn)
		pi, pj := r/t.pn, r%t.pn
		i0, i1 := pi*tm/t.pm*kr.mr, min((pi+1)*tm/t.pm*kr.mr, t.m)
		j0, j1 := pj*tn/t.pn*kr.nr, min((pj+1)*tn/t.pn*kr.nr, t.n)
		b0, b1 := qk*perPart, (qk+1)*perPart
		if qk == 0 {
			t.block(buf, i0, i1, j0, j1, 0, min(b1*kStep, t.k))
			continue
		}
		// A later part along k: each block's sum alone, into partials.
		for b := b0; b < b1; b++ {
			part := *t
			part.c, part.ldc, part.beta = t.partials[(b-perPart)*t.m*t.n:], t.n, 0
			part.block(buf, i0, i1, j0, j1, b*kStep, min((b+1)*kStep, t.k))
		}
	}
	packBufs.put(buf)
}

// grow returns s resized to n floats, reallocating (64-byte aligned) only
// when it is too small.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	s = make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n : off+n]
}

func ptr(s []float32, i int) unsafe.Pointer { return unsafe.Pointer(&s[i]) }

// block computes C[i0:i1, j0:j1] over the k blocks in [k0, k1): with beta
// applied by the block at k0, and the later ones added. i0 and j0 are
// multiples of the tile size, k0 and k1 boundaries of k blocks.
func (t *gemmTask) block(buf *packBuf, i0, i1, j0, j1, k0, k1 int) {
	kr := t.kern
	MR, NR := kr.mr, kr.nr
	kcStep := kBlock(kr.kc, t.k)
	ncb := min(kr.ncb, ceilDiv(j1-j0, NR)*NR)
	// kb is the k extent of a B block: all of k when that block still fits
	// the L2 budget, so each C tile is finished (all k blocks) while it is
	// in L1 instead of being reloaded once per k block; otherwise one k
	// block. Either way every C element sees the same k blocks in order.
	kb := kcStep
	if (k1-k0)*ncb <= kr.kc*kr.ncb {
		kb = k1 - k0
	}
	aStride := (kcStep+15)&^15 + 16 // row stride of packed A (avoid 4 KiB aliasing)
	buf.a = grow(buf.a, MR*max(aStride, kcStep))
	buf.t = grow(buf.t, MR*NR)
	mtiles := ceilDiv(i1-i0, MR)
	packB := t.transB || (mtiles >= packBMinTiles && t.ldb >= packBMinStride)
	// An unmasked kernel reads whole nr-wide rows of B, so a partial edge
	// panel of B read in place is packed (zero padded) on its own.
	edgeB := !packB && !kr.masked && (j1-j0)%NR != 0
	switch {
	case packB:
		buf.b = grow(buf.b, kb*ncb)
	case edgeB:
		buf.b = grow(buf.b, kb*NR)
	}
	for pk := k0; pk < k1; pk += kb {
		kbl := min(kb, k1-pk)
		for jb := j0; jb < j1; jb += ncb {
			nb := min(ncb, j1-jb)
			edge := jb + nb/NR*NR // start of the partial panel, if any
			if packB {
				t.packB(buf.b, pk, kbl, jb, nb)
			} else if edgeB && edge < jb+nb {
				t.packB(buf.b, pk, kbl, edge, jb+nb-edge)
			}
			for ib := i0; ib < i1; ib += MR {
				mr := min(MR, i1-ib)
				for pc := pk; pc < pk+kbl; pc += kcStep {
					kc := min(kcStep, k1-pc)
					beta, flags := t.beta, 0
					if pc > k0 {
						beta = 1
					}
					if beta == 0 {
						flags = flagBeta0
					}
					var ap unsafe.Pointer
					var rsA, csA int
					switch {
					case mr < MR:
						ap, rsA, csA = t.packA(buf.a, aStride, MR, ib, mr, pc, kc)
					case t.transA:
						ap, rsA, csA = ptr(t.a, pc*t.lda+ib), 1, t.lda
					default:
						ap, rsA, csA = ptr(t.a, ib*t.lda+pc), t.lda, 1
					}
					for jr := jb; jr < jb+nb; jr += NR {
						nr := min(NR, jb+nb-jr)
						var bp unsafe.Pointer
						var ldb int
						if packB {
							bp, ldb = ptr(buf.b, (jr-jb)*kbl+(pc-pk)*NR), NR
						} else if nr < NR && edgeB {
							bp, ldb = ptr(buf.b, (pc-pk)*NR), NR
						} else {
							bp, ldb = ptr(t.b, pc*t.ldb+jr), t.ldb
						}
						cp := ptr(t.c, ib*t.ldc+jr)
						if nr <= NR/2 && kr.narrow != nil {
							kr.narrow(kc, ap, rsA, csA, bp, ldb, cp, t.ldc, t.alpha, beta, flags, mr, nr)
							continue
						}
						if kr.masked || (mr == MR && nr == NR) {
							kr.fn(kc, ap, rsA, csA, bp, ldb, cp, t.ldc, t.alpha, beta, flags, mr, nr)
							continue
						}
						// Partial tile, unmasked kernel: compute the full
						// tile into scratch, then merge the valid part.
						kr.fn(kc, ap, rsA, csA, bp, ldb, ptr(buf.t, 0), NR, 1, 0, flagBeta0, MR, NR)
						for i := 0; i < mr; i++ {
							crow := t.c[(ib+i)*t.ldc+jr:][:nr]
							trow := buf.t[i*NR:][:nr]
							for j, v := range trow {
								if beta == 0 {
									crow[j] = t.alpha * v
								} else {
									// the kernels' epilogue: one rounding of alpha·acc,
									// then a fused multiply-add
									crow[j] = fma32(beta, crow[j], t.alpha*v)
								}
							}
						}
					}
				}
			}
		}
	}
}

// packA copies the mr×kc micro-panel of op(A) at (ib, pc) into dst, zero
// padding it to MR rows, and returns its address and strides. Plain A is
// copied row by row (rows stride floats apart), transposed A as MR-wide
// columns; both copies are contiguous loads.
func (t *gemmTask) packA(dst []float32, stride, MR, ib, mr, pc, kc int) (unsafe.Pointer, int, int) {
	if t.transA {
		dst = dst[:kc*MR]
		for p := 0; p < kc; p++ {
			d := dst[p*MR : p*MR+MR]
			copy(d, t.a[(pc+p)*t.lda+ib:][:mr])
			clear(d[mr:])
		}
		return ptr(dst, 0), 1, MR
	}
	for i := 0; i < MR; i++ {
		d := dst[i*stride:][:kc]
		if i < mr {
			copy(d, t.a[(ib+i)*t.lda+pc:][:kc])
		} else {
			clear(d)
		}
	}
	return ptr(dst, 0), stride, 1
}

// packB packs B[pc:pc+kc, jb:jb+nb] (of op(B)) into nr-wide panels: panel q
// holds columns jb+q*NR.. as dst[q*kc*NR + p*NR + j], zero padded to NR.
func (t *gemmTask) packB(dst []float32, pc, kc, jb, nb int) {
	NR := t.kern.nr
	for q := 0; q*NR < nb; q++ {
		nr := min(NR, nb-q*NR)
		d := dst[q*kc*NR : (q+1)*kc*NR]
		j := jb + q*NR
		if !t.transB {
			for p := 0; p < kc; p++ {
				dp := d[p*NR : p*NR+NR]
				copy(dp, t.b[(pc+p)*t.ldb+j:][:nr])
				clear(dp[nr:])
			}
			continue
		}
		// Transposed: B is n×k, rows j.. become columns of the panel.
		r := 0
		if pt := t.kern.packT; pt != nil && kc >= 8 {
			kc8 := kc &^ 7
			for ; r+8 <= nr; r += 8 {
				pt(ptr(d, r), NR, ptr(t.b, (j+r)*t.ldb+pc), t.ldb, kc8/8)
				for i := r; i < r+8; i++ {
					src := t.b[(j+i)*t.ldb+pc+kc8 : (j+i)*t.ldb+pc+kc]
					for p, v := range src {
						d[(kc8+p)*NR+i] = v
					}
				}
			}
		}
		for ; r < nr; r++ {
			src := t.b[(j+r)*t.ldb+pc:][:kc]
			for p, v := range src {
				d[p*NR+r] = v
			}
		}
		if nr < NR {
			for p := 0; p < kc; p++ {
				clear(d[p*NR+nr : p*NR+NR])
			}
		}
	}
}
