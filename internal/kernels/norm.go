package kernels

// ColumnMoments sets mean[j] and variance[j] to the mean and the biased
// variance (divided by m) of column j of the m×n matrix x, accumulating in
// float64 over two passes so that large batches keep their precision. acc
// is scratch of length n.
func ColumnMoments(mean, variance []float32, acc []float64, x []float32, m, n int) {
	acc = acc[:n]
	mean, variance = mean[:n], variance[:n]
	clear(acc)
	for i := 0; i < m; i++ {
		for j, v := range x[i*n : i*n+n] {
			acc[j] += float64(v)
		}
	}
	for j := range acc {
		mean[j] = float32(acc[j] / float64(m))
	}
	clear(acc)
	for i := 0; i < m; i++ {
		for j, v := range x[i*n : i*n+n] {
			d := float64(v - mean[j])
			acc[j] += d * d
		}
	}
	for j := range acc {
		variance[j] = float32(acc[j] / float64(m))
	}
}

// ScaleShiftColumns sets y[i][j] = x[i][j]·scale[j] + shift[j] for the m×n
// matrices x and y (which may alias).
func ScaleShiftColumns(y, x []float32, m, n int, scale, shift []float32) {
	scale, shift = scale[:n], shift[:n]
	for i := 0; i < m; i++ {
		xr, yr := x[i*n:i*n+n], y[i*n:i*n+n]
		for j, v := range xr {
			yr[j] = v*scale[j] + shift[j]
		}
	}
}

// BatchNormBackward is the backward pass of batch normalisation over the
// rows of an m×n matrix. The forward pass was x̂ = (x − μ)·invStd and
// y = γ·x̂ + β with μ and invStd = 1/√(σ²+ε) the batch's column statistics,
// so
//
//	dβ = Σ_i dy,  dγ = Σ_i dy·x̂,
//	dx = γ·invStd/m · (m·dy − dβ − x̂·dγ).
//
// It writes dgamma and dbeta (length n) and, when dx is not nil, dx (which
// may alias dy). acc is scratch of length 2n.
func BatchNormBackward(dx, dy, xhat []float32, m, n int, gamma, invStd, dgamma, dbeta []float32, acc []float64) {
	sb, sg := acc[:n], acc[n:2*n]
	clear(sb)
	clear(sg)
	for i := 0; i < m; i++ {
		dr, xr := dy[i*n:i*n+n], xhat[i*n:i*n+n]
		for j, d := range dr {
			sb[j] += float64(d)
			sg[j] += float64(d * xr[j])
		}
	}
	for j := 0; j < n; j++ {
		dbeta[j], dgamma[j] = float32(sb[j]), float32(sg[j])
	}
	if dx == nil {
		return
	}
	inv := 1 / float32(m)
	for i := 0; i < m; i++ {
		dr, xr, out := dy[i*n:i*n+n], xhat[i*n:i*n+n], dx[i*n:i*n+n]
		for j, d := range dr {
			out[j] = gamma[j] * invStd[j] * (d - inv*(dbeta[j]+xr[j]*dgamma[j]))
		}
	}
}

// Mul sets dst[i] = a[i]·b[i]; dst may alias a or b.
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}
