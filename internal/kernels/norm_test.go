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
