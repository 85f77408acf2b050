package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestColumnMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const m, n = 50, 3
	x := randSlice(rng, m*n)
	for i := range x {
		x[i] = 100 + x[i] // a large mean must not cost precision
	}
	mean, variance := make([]float32, n), make([]float32, n)
	ColumnMoments(mean, variance, make([]float64, n), x, m, n)
	for j := 0; j < n; j++ {
		var s, ss float64
		for i := 0; i < m; i++ {
			s += float64(x[i*n+j])
		}
		mu := s / m
		for i := 0; i < m; i++ {
			d := float64(x[i*n+j]) - mu
			ss += d * d
		}
		if math.Abs(float64(mean[j])-mu) > 1e-4 || math.Abs(float64(variance[j])-ss/m) > 1e-4 {
			t.Errorf("column %d: mean %v var %v, want %v %v", j, mean[j], variance[j], mu, ss/m)
		}
	}
}

// TestBatchNormBackwardRelu checks that BatchNormBackward over a ReLU's
// output gives, on every loop, the bits of the plain backward pass followed
// by ReluBackward, for column counts on the vector loop and off it, and
// that it changes nothing of dγ and dβ.
func TestBatchNormBackwardRelu(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{16, 48, 5} {
		const m = 300
		x := randSlice(rng, m*n)
		for i := range x {
			x[i] = max(x[i], 0) // about half zeros, as a ReLU leaves
		}
		x[3] = float32(math.Copysign(0, -1))
		dy, gamma, mean, invStd := randSlice(rng, m*n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		run := func(relu bool) (dx, dg, db []float32) {
			dx, dg, db = make([]float32, m*n), make([]float32, n), make([]float32, n)
			BatchNormBackward(dx, dy, x, m, n, mean, invStd, gamma, dg, db, make([]float64, 2*n), relu)
			return dx, dg, db
		}
		want, wantG, wantB := run(false)
		ReluBackward(want, want, x)
		for _, path := range []string{"simd", "go"} {
			var got, g, b []float32
			if path == "go" {
				portable(func() { got, g, b = run(true) })
			} else {
				got, g, b = run(true)
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d, %s: dx[%d] = %v, BatchNormBackward then ReluBackward give %v", n, path, i, got[i], want[i])
				}
			}
			same(t, "dgamma", g, wantG)
			same(t, "dbeta", b, wantB)
		}
	}
}

// TestBatchNormBackward compares the closed form with finite differences of
// L = Σ dy·BN(x).
func TestBatchNormBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m, n, eps = 7, 3, 1e-3
	x := randSlice(rng, m*n)
	gamma, beta := randSlice(rng, n), randSlice(rng, n)
	dy := randSlice(rng, m*n)
	forward := func(x []float32) (loss float64, xhat, mean, invStd []float32) {
		mean = make([]float32, n)
		variance := make([]float32, n)
		ColumnMoments(mean, variance, make([]float64, n), x, m, n)
		invStd = make([]float32, n)
		shift := make([]float32, n)
		for j := range invStd {
			invStd[j] = float32(1 / math.Sqrt(float64(variance[j])+eps))
			shift[j] = -mean[j] * invStd[j]
		}
		xhat = make([]float32, m*n)
		ScaleShiftColumns(xhat, x, m, n, invStd, shift)
		y := make([]float32, m*n)
		ScaleShiftColumns(y, xhat, m, n, gamma, beta)
		return dot(y, dy), xhat, mean, invStd
	}
	_, xhat, mean, invStd := forward(x)
	dx := make([]float32, m*n)
	dgamma, dbeta := make([]float32, n), make([]float32, n)
	BatchNormBackward(dx, dy, x, m, n, mean, invStd, gamma, dgamma, dbeta, make([]float64, 2*n), false)
	const h = 1e-2
	for i := range x {
		old := x[i]
		x[i] = old + h
		lp, _, _, _ := forward(x)
		x[i] = old - h
		lm, _, _, _ := forward(x)
		x[i] = old
		if num := (lp - lm) / (2 * h); math.Abs(num-float64(dx[i])) > 1e-2*(1+math.Abs(num)) {
			t.Errorf("dx[%d] = %v, numerically %v", i, dx[i], num)
		}
	}
	for j := 0; j < n; j++ {
		var sb, sg float64
		for i := 0; i < m; i++ {
			sb += float64(dy[i*n+j])
			sg += float64(dy[i*n+j]) * float64(xhat[i*n+j])
		}
		if math.Abs(sb-float64(dbeta[j])) > 1e-5 || math.Abs(sg-float64(dgamma[j])) > 1e-4 {
			t.Errorf("column %d: dβ %v dγ %v, want %v %v", j, dbeta[j], dgamma[j], sb, sg)
		}
	}
}

// TestMul checks the product on one thread and split across several,
// in place too, at lengths that end in each of the AVX-512 loop's parts
// (32 at a time, 16, a masked tail).
func TestMul(t *testing.T) {
	for _, threads := range []int{1, 2} {
		withProcs(threads, func() {
			for _, n := range []int{0, 5, 16, 17, 31, 32, 47, 63, 1<<16 + 3} {
				a, b := make([]float32, n), make([]float32, n)
				for i := range a {
					a[i], b[i] = float32(i%11)-5, float32(i%3)*0.5
				}
				dst := make([]float32, n)
				Mul(dst, a, b)
				Mul(a, a, b)
				for i := range dst {
					want := (float32(i%11) - 5) * float32(i%3) * 0.5
					if dst[i] != want || a[i] != want {
						t.Fatalf("%d threads, n %d: element %d is %v (in place %v), want %v", threads, n, i, dst[i], a[i], want)
					}
				}
			}
		})
	}
}

// TestPortableLoopsRoundProducts holds the portable loops of batch
// normalisation, average pooling's gradient and softmax's gradient to the
// vector loops' arithmetic: every product rounded to float32 before it is
// added. The Go spec lets a compiler fuse x*y + z, and Go on arm64 did
// (FMADDS), which changed the bits there; the explicit conversions below,
// which the spec says round, are the arithmetic every path must give.
func TestPortableLoopsRoundProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m, n = 37, 5 // n not a multiple of 16: the portable loops on any CPU
	x, y, dy := randSlice(rng, m*n), randSlice(rng, m*n), randSlice(rng, m*n)
	mean, scale, shift := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	invStd, gamma, dgamma, dbeta := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	check := func(what string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d is %v, with every product rounded %v", what, i, got[i], want[i])
			}
		}
	}

	sq, sum, dot := make([]float32, n), make([]float32, n), make([]float32, n)
	colSumSqDev(sq, x, mean, m, n, n)
	colSumDot(sum, dot, x, y, mean, m, n, n)
	wantSq, wantSum, wantDot := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			d := x[i*n+j] - mean[j]
			wantSq[j] += float32(d * d)
			wantSum[j] += x[i*n+j]
			wantDot[j] += float32(x[i*n+j] * (y[i*n+j] - mean[j]))
		}
	}
	check("colSumSqDev", sq, wantSq)
	check("colSumDot sums", sum, wantSum)
	check("colSumDot dots", dot, wantDot)

	ss, bn := make([]float32, m*n), make([]float32, m*n)
	ScaleShiftColumns(ss, x, m, n, scale, shift)
	const inv = 1.0 / m
	batchNormDx(bn, dy, x, m, n, mean, invStd, gamma, dgamma, dbeta, inv, false)
	wantSS, wantBN := make([]float32, m*n), make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			k := i*n + j
			wantSS[k] = float32(x[k]*scale[j]) + shift[j]
			xhat := (x[k] - mean[j]) * invStd[j]
			wantBN[k] = gamma[j] * invStd[j] * (dy[k] - float32(inv*(dbeta[j]+float32(xhat*dgamma[j]))))
		}
	}
	check("ScaleShiftColumns", ss, wantSS)
	check("batchNormDx", bn, wantBN)

	g, _ := NewConvGeom(4, 4, n, 3, 3, 1, 1, true)
	pdy := randSlice(rng, g.Pixels()*n)
	pdx := make([]float32, g.InSize())
	AvgPool2DBackward(pdx, pdy, 1, &g)
	wantP := make([]float32, g.InSize())
	for oy := 0; oy < g.OH; oy++ {
		for ox := 0; ox < g.OW; ox++ {
			y0, y1 := max(oy-g.PadTop, 0), min(oy-g.PadTop+3, g.H)
			x0, x1 := max(ox-g.PadLeft, 0), min(ox-g.PadLeft+3, g.W)
			s := 1 / float32((y1-y0)*(x1-x0))
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					for c := 0; c < n; c++ {
						wantP[(iy*g.W+ix)*n+c] += float32(s * pdy[(oy*g.OW+ox)*n+c])
					}
				}
			}
		}
	}
	check("AvgPool2DBackward", pdx, wantP)

	sy := append([]float32(nil), y...)
	Softmax(sy, m, n)
	sdx := make([]float32, m*n)
	SoftmaxBackward(sdx, dy, sy, m, n)
	wantS := make([]float32, m*n)
	for i := 0; i < m; i++ {
		var d float32
		for j := 0; j < n; j++ {
			d += float32(dy[i*n+j] * sy[i*n+j])
		}
		for j := 0; j < n; j++ {
			wantS[i*n+j] = sy[i*n+j] * (dy[i*n+j] - d)
		}
	}
	check("SoftmaxBackward", sdx, wantS)
}

// TestNormEmpty: the batch-normalisation kernels hold their contracts on
// an empty batch (m = 0) and on no columns (n = 0), where they indexed
// x[m·n−1] and panicked: the moments of no rows are NaN, 0/0 as numpy's
// mean gives, the gradients of γ and β are empty sums, 0, and there is
// nothing to write.
func TestNormEmpty(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const n = 32
		mean, variance := make([]float32, n), make([]float32, n)
		acc := make([]float64, 2*n)
		ColumnMoments(mean, variance, acc, nil, 0, n)
		for j := range n {
			if mean[j] == mean[j] || variance[j] == variance[j] {
				t.Fatalf("the moments of no rows: mean %v, variance %v, want NaN", mean[j], variance[j])
			}
		}
		ones := make([]float32, n)
		for j := range ones {
			ones[j] = 1
		}
		dgamma, dbeta := randSlice(rand.New(rand.NewPCG(1, 2)), n), randSlice(rand.New(rand.NewPCG(3, 4)), n)
		BatchNormBackward([]float32{}, nil, nil, 0, n, ones, ones, ones, dgamma, dbeta, acc, false)
		BatchNormBackward(nil, nil, nil, 0, n, ones, ones, ones, dgamma, dbeta, acc, true)
		for j := range n {
			if dgamma[j] != 0 || dbeta[j] != 0 {
				t.Fatalf("gradients of no rows: dγ %v, dβ %v, want 0", dgamma[j], dbeta[j])
			}
		}
		ScaleShiftColumns(nil, nil, 0, n, ones, ones)
		x := randSlice(rand.New(rand.NewPCG(5, 6)), 300)
		ColumnMoments(nil, nil, nil, x, 300, 0)
		ScaleShiftColumns(nil, x, 300, 0, nil, nil)
		BatchNormBackward(nil, x, x, 300, 0, nil, nil, nil, nil, nil, nil, false)
	})
}
