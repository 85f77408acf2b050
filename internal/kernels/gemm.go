package kernels

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices.
//
// op(A) is m×k (A is k×m when transA), op(B) is k×n (B is n×k when transB)
// and C is m×n. lda, ldb and ldc are the row strides of A, B and C. When beta
// is 0, C is overwritten and its previous contents (even NaNs) are ignored.
// Large products are split across the worker pool.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

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
	case ar > 0 && len(a) < (ar-1)*lda+ac:
		panic("kernels: A too short")
	case br > 0 && len(b) < (br-1)*ldb+bc:
		panic("kernels: B too short")
	case len(c) < (m-1)*ldc+n:
		panic("kernels: C too short")
	}
}

// sgemmRef is the naive reference that tests compare the fast paths against.
func sgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if transA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if transB {
					bv = b[j*ldb+p]
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
