package kernels

// BiasRelu sets x[i][j] = max(x[i][j] + bias[j], 0) for the m×n matrix x:
// AddBias and Relu in one pass over x.
func BiasRelu(x []float32, m, n int, bias []float32) {
	splitRows(ewTask{op: opBiasRelu, a: x, b: bias, n: n}, m, n)
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
