package kernels

// Splitting the elementwise, row-wise and per-image loops across the
// worker pool. Each exported kernel describes its work as an ewTask; the
// task runs whole on the calling goroutine when the work is small, and
// otherwise in parallelFor's contiguous chunks of elements, rows or images,
// which write disjoint parts of the output, so the result is the same
// whatever the number of threads.

// splitMin is the number of values below which a loop runs on the
// calling goroutine: waking a worker costs about a microsecond, as much as
// these loops take over ~32K values.
const splitMin = 1 << 15

type ewOp int

const (
	opRelu ewOp = iota
	opReluBackward
	opAddBias
	opBiasRelu
	opAdam
	opScaleShift
	opBatchNormDx
	opMaxPool
	opMaxPoolBackward
	opColSums
	opColSumSqDev
	opColSumDot
	opConvForward
	opConvKernelGrad
	opConvInputGrad
	opDropout
	opMul
)

// ewTask is one kernel's operands: a..h are its slices in the order of
// its serial function's arguments, n the row length, dims and k its other
// sizes and scalars, geom the window geometry of the per-image kernels and
// seed a random generator's state.
type ewTask struct {
	op            ewOp
	a, b, c, d, e []float32
	f, g, h       []float32
	n             int
	dims          [3]int
	k             [4]float32
	seed          [2]uint64
	geom          *ConvGeom
}

var ewTasks freeList[ewTask]

// run processes elements, rows or images [lo, hi), as the op counts.
func (t *ewTask) run(lo, hi int) {
	n := t.n
	switch t.op {
	case opRelu:
		relu(t.a[lo:hi])
	case opReluBackward:
		reluBackward(t.a[lo:hi], t.b[lo:hi], t.c[lo:hi])
	case opAdam:
		adamUpdate(t.a[lo:hi], t.b[lo:hi], t.c[lo:hi], t.d[lo:hi], t.k[0], t.k[1], t.k[2], t.k[3])
	case opAddBias:
		addBias(t.a[lo*n:hi*n], hi-lo, n, t.b)
	case opBiasRelu:
		biasRelu(t.a[lo*n:hi*n], hi-lo, n, t.b)
	case opScaleShift:
		scaleShiftColumns(t.a[lo*n:hi*n], t.b[lo*n:hi*n], hi-lo, n, t.c, t.d)
	case opBatchNormDx:
		batchNormDx(t.a[lo*n:hi*n], t.b[lo*n:hi*n], t.c[lo*n:hi*n], hi-lo, n, t.d, t.e, t.f, t.g, t.h, t.k[0])
	case opMaxPool, opMaxPoolBackward:
		g := t.geom
		out, size := g.Pixels()*g.C, g.InSize()
		if t.op == opMaxPool {
			maxPool2D(t.a[lo*out:hi*out], t.b[lo*size:hi*size], hi-lo, g)
		} else {
			maxPool2DBackward(t.a[lo*size:hi*size], t.b[lo*out:hi*out], t.c[lo*size:hi*size], t.d[lo*out:hi*out], hi-lo, g)
		}
	case opColSums, opColSumSqDev, opColSumDot:
		reduceRange(t, lo, hi)
	case opMul:
		mul(t.a[lo:hi], t.b[lo:hi], t.c[lo:hi])
	case opDropout:
		dropout(t.a, t.b, t.c, t.seed[0], t.seed[1], uint64(t.dims[0]), t.k[0], lo, hi)
	default:
		panic("kernels: unknown op")
	}
}

// split runs t over [0, parts), in parallel when work (a count of values)
// is large enough.
func split(t ewTask, parts, work int) {
	if parts <= 0 {
		return
	}
	if work < splitMin || parts < 2 || Threads() == 1 {
		t.run(0, parts)
		return
	}
	p := ewTasks.get()
	*p = t
	parallelFor(parts, true, p)
	*p = ewTask{}
	ewTasks.put(p)
}

// splitElems runs an elementwise task over n values.
func splitElems(t ewTask, n int) { split(t, n, n) }

// splitRows runs a row-wise task over the m rows of an m×n matrix.
func splitRows(t ewTask, m, n int) {
	t.n = n
	split(t, m, m*n)
}
