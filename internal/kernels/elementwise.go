package kernels

import (
	"math"
	"slices"
)

// AddBias adds bias (length n) to every row of the m×n matrix x.
func AddBias(x []float32, m, n int, bias []float32) {
	if !worthSplitting(m, m*n) {
		addBias(x, m, n, bias)
		return
	}
	runSplit(&biasTasks, biasTask{x: x, m: m, n: n, bias: bias}, m)
}

// biasTask is AddBias or BiasRelu (with relu set) over rows [lo, hi).
type biasTask struct {
	x, bias []float32
	m, n    int
	relu    bool
}

var biasTasks freeList[biasTask]

func (t *biasTask) run(lo, hi int) {
	x := t.x[lo*t.n : hi*t.n]
	if t.relu {
		biasRelu(x, hi-lo, t.n, t.bias)
	} else {
		addBias(x, hi-lo, t.n, t.bias)
	}
}

// BiasRelu sets x[i][j] = max(x[i][j] + bias[j], 0) for the m×n matrix x:
// AddBias and Relu in one pass over x.
func BiasRelu(x []float32, m, n int, bias []float32) {
	if !worthSplitting(m, m*n) {
		biasRelu(x, m, n, bias)
		return
	}
	runSplit(&biasTasks, biasTask{x: x, m: m, n: n, bias: bias, relu: true}, m)
}

func biasRelu(x []float32, m, n int, bias []float32) {
	bias = bias[:n]
	if m == 0 {
		return
	}
	_ = x[m*n-1]
	if hasAVX512 && n%16 == 0 {
		biasReluAVX512(&x[0], m, n, &bias[0])
		return
	}
	for i := 0; i < m; i++ {
		row := x[i*n : i*n+n]
		for j, b := range bias {
			v := row[j] + b
			if v < 0 {
				v = 0
			}
			row[j] = v
		}
	}
}

func addBias(x []float32, m, n int, bias []float32) {
	bias = bias[:n]
	if hasAVX512 && n%16 == 0 && m > 0 {
		_ = x[m*n-1]
		addBiasAVX512(&x[0], m, n, &bias[0])
		return
	}
	for i := 0; i < m; i++ {
		row := x[i*n : i*n+n]
		for j, b := range bias {
			row[j] += b
		}
	}
}

// SumRows accumulates the column sums of the m×n matrix x into out
// (length n): out[j] = beta*out[j] + Σ_i x[i][j]. It is the bias gradient.
func SumRows(out []float32, x []float32, m, n int, beta float32) {
	out = out[:n]
	if beta == 0 && m > 0 {
		for j := 0; j < n; j += 64 {
			w := min(64, n-j)
			colSums(out[j:j+w], x[j:], m, w, n)
		}
		return
	}
	if beta == 0 {
		clear(out)
	} else if beta != 1 {
		Scale(out, beta)
	}
	for i := 0; i < m; i++ {
		row := x[i*n : i*n+n]
		for j, v := range row {
			out[j] += v
		}
	}
}

// Scale multiplies x by s in place.
func Scale(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// Relu sets x[i] = max(x[i], 0) in place.
func Relu(x []float32) {
	if !worthSplitting(len(x), len(x)) {
		relu(x)
		return
	}
	runSplit(&reluTasks, reluTask{x: x}, len(x))
}

// reluTask is Relu over elements [lo, hi).
type reluTask struct{ x []float32 }

var reluTasks freeList[reluTask]

func (t *reluTask) run(lo, hi int) { relu(t.x[lo:hi]) }

func relu(x []float32) {
	if hasAVX512 && len(x) > 0 {
		reluAVX512(&x[0], len(x))
		return
	}
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}

// ReluBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere; y is the
// ReLU's output. dx may alias dy.
func ReluBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	if !worthSplitting(len(dx), len(dx)) {
		reluBackward(dx, dy, y)
		return
	}
	runSplit(&reluBackwardTasks, reluBackwardTask{dx: dx, dy: dy, y: y}, len(dx))
}

// reluBackwardTask is ReluBackward over elements [lo, hi).
type reluBackwardTask struct{ dx, dy, y []float32 }

var reluBackwardTasks freeList[reluBackwardTask]

func (t *reluBackwardTask) run(lo, hi int) { reluBackward(t.dx[lo:hi], t.dy[lo:hi], t.y[lo:hi]) }

func reluBackward(dx, dy, y []float32) {
	if hasAVX512 && len(dx) > 0 {
		reluBackwardAVX512(&dx[0], &dy[0], &y[0], len(dx))
		return
	}
	for i := range dx {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// Sigmoid sets x[i] = 1/(1+exp(-x[i])) in place.
func Sigmoid(x []float32) {
	for i, v := range x {
		x[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

// SigmoidBackward sets dx = dy·y·(1-y), where y is the sigmoid's output.
func SigmoidBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i := range dx {
		dx[i] = dy[i] * y[i] * (1 - y[i])
	}
}

// Tanh sets x[i] = tanh(x[i]) in place.
func Tanh(x []float32) {
	for i, v := range x {
		x[i] = float32(math.Tanh(float64(v)))
	}
}

// TanhBackward sets dx = dy·(1-y²), where y is tanh's output.
func TanhBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i := range dx {
		dx[i] = dy[i] * (1 - y[i]*y[i])
	}
}

// softmaxChunk is how many exponentials Softmax computes at a time, in
// buffers on its stack: several short rows (the 10 classes of a batch's
// outputs) at once, or a long row in pieces.
const softmaxChunk = 256

// Softmax replaces each row of the m×n matrix x by its softmax, subtracting
// the row maximum first so that large logits cannot overflow.
//
// Each exponential is math.Exp's, in float64, and each row sums them in
// order, so every path gives the same bits; exps computes them eight at a
// time where the CPU allows.
func Softmax(x []float32, m, n int) {
	if m == 0 || n == 0 {
		return
	}
	var d, e [softmaxChunk]float64
	if n > softmaxChunk {
		for i := 0; i < m; i++ {
			softmaxLong(x[i*n:i*n+n], &d, &e)
		}
		return
	}
	rows := softmaxChunk / n
	for i := 0; i < m; i += rows {
		block := x[i*n : min(i+rows, m)*n]
		dp, ep := d[:len(block)], e[:len(block)]
		for r := 0; r < len(block); r += n {
			row := block[r : r+n]
			mx := slices.Max(row)
			for j, v := range row {
				dp[r+j] = float64(v - mx)
			}
		}
		exps(ep, dp)
		for r := 0; r < len(block); r += n {
			row := block[r : r+n]
			var sum float64
			for j, v := range ep[r : r+n] {
				row[j] = float32(v)
				sum += v
			}
			scaleRow(row, float32(1/sum))
		}
	}
}

// softmaxLong is Softmax of one row longer than softmaxChunk, its
// exponentials taken a chunk at a time.
func softmaxLong(row []float32, d, e *[softmaxChunk]float64) {
	mx := slices.Max(row)
	var sum float64
	for lo := 0; lo < len(row); lo += softmaxChunk {
		part := row[lo:min(lo+softmaxChunk, len(row))]
		dp, ep := d[:len(part)], e[:len(part)]
		for j, v := range part {
			dp[j] = float64(v - mx)
		}
		exps(ep, dp)
		for j, v := range ep {
			part[j] = float32(v)
			sum += v
		}
	}
	scaleRow(row, float32(1/sum))
}

func scaleRow(row []float32, s float32) {
	for j := range row {
		row[j] *= s
	}
}

// SoftmaxBackward computes, row by row, dx = y ⊙ (dy − ⟨dy, y⟩), the
// product of the softmax Jacobian with dy; y is the softmax output. dx may
// alias dy. Each product is rounded before it is summed (no fused
// multiply-add, which Go on arm64 would otherwise make of it), so the bits
// are the same on every CPU.
func SoftmaxBackward(dx, dy, y []float32, m, n int) {
	for i := 0; i < m; i++ {
		yr, dyr, dxr := y[i*n:i*n+n], dy[i*n:i*n+n], dx[i*n:i*n+n]
		var dot float32
		for j := range yr {
			dot += float32(dyr[j] * yr[j])
		}
		for j := range yr {
			dxr[j] = yr[j] * (dyr[j] - dot)
		}
	}
}

// Mul sets dst[i] = a[i]·b[i]; dst may alias a or b.
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if !worthSplitting(len(dst), len(dst)) {
		mul(dst, a, b)
		return
	}
	runSplit(&mulTasks, mulTask{dst: dst, a: a, b: b}, len(dst))
}

// mulTask is Mul over elements [lo, hi).
type mulTask struct{ dst, a, b []float32 }

var mulTasks freeList[mulTask]

func (t *mulTask) run(lo, hi int) { mul(t.dst[lo:hi], t.a[lo:hi], t.b[lo:hi]) }

func mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if hasAVX512 && len(dst) >= 16 {
		mulAVX512(&dst[0], &a[0], &b[0], len(dst))
		return
	}
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// addTo sets dst[i] += src[i].
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	if hasAVX512 && len(dst) >= 16 {
		addToAVX512(&dst[0], &src[0], len(dst))
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}
