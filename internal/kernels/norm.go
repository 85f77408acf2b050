package kernels

// normBlock is how many rows the column reductions of batch normalisation
// sum in float32 before adding the partial sums into float64: long columns
// (a batch of feature maps has tens of thousands of rows) keep float64's
// precision while the inner loop stays in float32 vectors. Both the vector
// and the portable loops sum in this order, so they agree bit for bit.
const normBlock = 256

// The portable loops below round every product to float32 before adding
// it (the explicit conversions), as the vector loops do: the Go spec lets a
// compiler fuse x*y + z into one multiply-add, and Go on arm64 does, which
// would change the bits there.

// ColumnMoments sets mean[j] and variance[j] to the mean and the biased
// variance (divided by m) of column j of the m×n matrix x, over two passes
// (the second sums squared deviations from the mean, which loses nothing to
// cancellation). acc is scratch of length n. Of no rows (m = 0) both are
// NaN, 0/0, as numpy's mean and var give.
func ColumnMoments(mean, variance []float32, acc []float64, x []float32, m, n int) {
	acc = acc[:n]
	mean, variance = mean[:n], variance[:n]
	if m > 0 && n > 0 {
		_ = x[m*n-1]
	}
	reduceBlocks(acc, nil, colReduceTask{x: x, m: m, n: n}, m, n)
	for j := range acc {
		mean[j] = float32(acc[j] / float64(m))
	}
	reduceBlocks(acc, nil, colReduceTask{x: x, mean: mean, m: m, n: n}, m, n)
	for j := range acc {
		variance[j] = float32(acc[j] / float64(m))
	}
}

// colReduceTask is one column reduction of batch normalisation over the
// row blocks [lo, hi) of the m×n matrix x, each block's float32 partial
// sums going to parts[b·n·s:], s = 2 when y is set (sums, then dots) and 1
// otherwise:
//
//	mean == nil:  Σ x                      (colSums)
//	y == nil:     Σ (x − mean)²            (colSumSqDev)
//	otherwise:    Σ x and Σ x·(y − mean)   (colSumDot)
type colReduceTask struct {
	parts, x, y, mean []float32
	m, n              int
}

var colReduceTasks freeList[colReduceTask]

func (t *colReduceTask) run(lo, hi int) {
	m, n := t.m, t.n
	for b := lo; b < hi; b++ {
		i0 := b * normBlock
		rows := min(normBlock, m-i0)
		for j0 := 0; j0 < n; j0 += 64 {
			w := min(64, n-j0)
			x := t.x[i0*n+j0:]
			switch {
			case t.mean == nil:
				colSums(t.parts[b*n+j0:b*n+j0+w], x, rows, w, n)
			case t.y == nil:
				colSumSqDev(t.parts[b*n+j0:b*n+j0+w], x, t.mean[j0:j0+w], rows, w, n)
			default:
				colSumDot(t.parts[2*b*n+j0:2*b*n+j0+w], t.parts[2*b*n+n+j0:2*b*n+n+j0+w], x, t.y[i0*n+j0:], t.mean[j0:j0+w], rows, w, n)
			}
		}
	}
}

// normBufs holds the float32 partial sums of the row blocks of column
// reductions.
var normBufs freeList[[]float32]

// reduceBlocks runs the column reduction t over the row blocks of an m×n
// matrix, the blocks split across the workers, and adds the blocks'
// float32 partial sums into acc (and acc2 for the second sum when t.y is
// set) in float64, block by block in order, so the result does not depend
// on the number of threads.
func reduceBlocks(acc, acc2 []float64, t colReduceTask, m, n int) {
	blocks := (m + normBlock - 1) / normBlock
	sums := 1
	if acc2 != nil {
		sums = 2
	}
	p := normBufs.get()
	*p = grow(*p, blocks*n*sums)
	t.parts = *p
	if worthSplitting(blocks, m*n) {
		runSplit(&colReduceTasks, t, blocks)
	} else {
		t.run(0, blocks)
	}
	clear(acc)
	clear(acc2)
	for b := 0; b < blocks; b++ {
		part := t.parts[b*n*sums:]
		for j, v := range part[:n] {
			acc[j] += float64(v)
		}
		if acc2 != nil {
			for j, v := range part[n : 2*n] {
				acc2[j] += float64(v)
			}
		}
	}
	normBufs.put(p)
}

// colSums sets out[j] = Σ_i x[i·stride+j] for j < w = len(out) ≤ 64.
func colSums(out, x []float32, m, w, stride int) {
	_ = x[(m-1)*stride+w-1]
	if hasAVX512 && w%16 == 0 {
		colSumsAVX512(&out[0], &x[0], m, w, stride)
		return
	}
	clear(out[:w])
	for i := 0; i < m; i++ {
		for k, v := range x[i*stride : i*stride+w] {
			out[k] += v
		}
	}
}

// colSumSqDev sets out[j] = Σ_i (x[i·stride+j] − mean[j])² for j < w.
func colSumSqDev(out, x, mean []float32, m, w, stride int) {
	_ = x[(m-1)*stride+w-1]
	mean = mean[:w]
	if hasAVX512 && w%16 == 0 {
		colSumSqDevAVX512(&out[0], &x[0], &mean[0], m, w, stride)
		return
	}
	clear(out[:w])
	for i := 0; i < m; i++ {
		for k, v := range x[i*stride : i*stride+w] {
			d := v - mean[k]
			out[k] += float32(d * d)
		}
	}
}

// colSumDot sets sum[j] = Σ_i x[i·stride+j] and dot[j] = Σ_i
// x[i·stride+j]·(y[i·stride+j] − mean[j]) for j < w.
func colSumDot(sum, dot, x, y, mean []float32, m, w, stride int) {
	_ = x[(m-1)*stride+w-1]
	_ = y[(m-1)*stride+w-1]
	mean = mean[:w]
	if hasAVX512 && w%16 == 0 {
		colSumDotAVX512(&sum[0], &dot[0], &x[0], &y[0], &mean[0], m, w, stride)
		return
	}
	clear(sum[:w])
	clear(dot[:w])
	for i := 0; i < m; i++ {
		xr, yr := x[i*stride:i*stride+w], y[i*stride:i*stride+w]
		for k, v := range xr {
			sum[k] += v
			dot[k] += float32(v * (yr[k] - mean[k]))
		}
	}
}

// ScaleShiftColumns sets y[i][j] = x[i][j]·scale[j] + shift[j] for the m×n
// matrices x and y (which may alias).
func ScaleShiftColumns(y, x []float32, m, n int, scale, shift []float32) {
	scale, shift = scale[:n], shift[:n]
	if m == 0 || n == 0 {
		return
	}
	_, _ = x[m*n-1], y[m*n-1]
	if !worthSplitting(m, m*n) {
		scaleShiftColumns(y, x, m, n, scale, shift)
		return
	}
	runSplit(&scaleShiftTasks, scaleShiftTask{y: y, x: x, scale: scale, shift: shift, n: n}, m)
}

// scaleShiftTask is ScaleShiftColumns over rows [lo, hi).
type scaleShiftTask struct {
	y, x, scale, shift []float32
	n                  int
}

var scaleShiftTasks freeList[scaleShiftTask]

func (t *scaleShiftTask) run(lo, hi int) {
	n := t.n
	scaleShiftColumns(t.y[lo*n:hi*n], t.x[lo*n:hi*n], hi-lo, n, t.scale, t.shift)
}

func scaleShiftColumns(y, x []float32, m, n int, scale, shift []float32) {
	if hasAVX512 && n%16 == 0 {
		scaleShiftColsAVX512(&y[0], &x[0], m, n, &scale[0], &shift[0])
		return
	}
	for i := 0; i < m; i++ {
		xr, yr := x[i*n:i*n+n], y[i*n:i*n+n]
		for j, v := range xr {
			yr[j] = float32(v*scale[j]) + shift[j]
		}
	}
}

// BatchNormBackward is the backward pass of batch normalisation over the
// rows of an m×n matrix. The forward pass normalised x with the column
// statistics mean and invStd = 1/√(σ²+ε), x̂ = (x − mean)·invStd, and gave
// y = γ·x̂ + β; when those were the batch's own statistics,
//
//	dβ = Σ_i dy,  dγ = Σ_i dy·x̂,
//	dx = γ·invStd/m · (m·dy − dβ − x̂·dγ).
//
// It writes dgamma and dbeta (length n) and, when dx is not nil, dx (which
// may alias dy). x̂ is recomputed from x rather than stored. acc is
// scratch of length 2n. With reluInput, x is a ReLU's output and dx is
// taken on through the ReLU too: 0 where x ≤ 0, the bits ReluBackward(dx,
// dx, x) would give, without that pass over dx. Of no rows (m = 0), dβ and
// dγ are empty sums, 0.
func BatchNormBackward(dx, dy, x []float32, m, n int, mean, invStd, gamma, dgamma, dbeta []float32, acc []float64, reluInput bool) {
	sb, sg := acc[:n], acc[n:2*n]
	if m > 0 && n > 0 {
		_, _ = dy[m*n-1], x[m*n-1]
	}
	mean, invStd, gamma, dgamma, dbeta = mean[:n], invStd[:n], gamma[:n], dgamma[:n], dbeta[:n]
	reduceBlocks(sb, sg, colReduceTask{x: dy, y: x, mean: mean, m: m, n: n}, m, n)
	for j := 0; j < n; j++ {
		// Σ dy·x̂ = invStd·Σ dy·(x − mean)
		dbeta[j], dgamma[j] = float32(sb[j]), float32(sg[j]*float64(invStd[j]))
	}
	if dx == nil || m == 0 || n == 0 {
		return
	}
	_ = dx[m*n-1]
	t := bnDxTask{dx: dx, dy: dy, x: x, mean: mean, invStd: invStd, gamma: gamma, dgamma: dgamma, dbeta: dbeta, n: n, inv: 1 / float32(m), relu: reluInput}
	if !worthSplitting(m, m*n) {
		t.run(0, m)
		return
	}
	runSplit(&bnDxTasks, t, m)
}

// bnDxTask is the input gradient of BatchNormBackward over rows [lo, hi).
type bnDxTask struct {
	dx, dy, x                          []float32
	mean, invStd, gamma, dgamma, dbeta []float32
	n                                  int
	inv                                float32
	relu                               bool
}

var bnDxTasks freeList[bnDxTask]

func (t *bnDxTask) run(lo, hi int) {
	n := t.n
	batchNormDx(t.dx[lo*n:hi*n], t.dy[lo*n:hi*n], t.x[lo*n:hi*n], hi-lo, n, t.mean, t.invStd, t.gamma, t.dgamma, t.dbeta, t.inv, t.relu)
}

// batchNormDx is the last line of BatchNormBackward over m rows, with
// inv = 1/(the batch's row count), and with relu 0 where x ≤ 0.
func batchNormDx(dx, dy, x []float32, m, n int, mean, invStd, gamma, dgamma, dbeta []float32, inv float32, relu bool) {
	if m == 0 {
		return
	}
	if hasAVX512 && n%16 == 0 {
		bnDxAVX512(&dx[0], &dy[0], &x[0], m, n, &mean[0], &invStd[0], &gamma[0], &dgamma[0], &dbeta[0], inv, relu)
		return
	}
	for i := 0; i < m; i++ {
		dr, xr, out := dy[i*n:i*n+n], x[i*n:i*n+n], dx[i*n:i*n+n]
		for j, d := range dr {
			if relu && !(xr[j] > 0) {
				out[j] = 0
				continue
			}
			xhat := (xr[j] - mean[j]) * invStd[j]
			out[j] = gamma[j] * invStd[j] * (d - float32(inv*(dbeta[j]+float32(xhat*dgamma[j]))))
		}
	}
}
