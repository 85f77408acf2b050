package kernels

import "math"

// AddBias adds bias (length n) to every row of the m×n matrix x.
func AddBias(x []float32, m, n int, bias []float32) {
	splitRows(ewTask{op: opAddBias, a: x, b: bias, n: n}, m, n)
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
	if hasAVX512 && beta == 0 && n%16 == 0 && m > 0 {
		_ = x[m*n-1]
		for j := 0; j < n; j += 64 {
			colSumsAVX512(&out[j], &x[j], m, min(64, n-j), n)
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
func Relu(x []float32) { splitElems(ewTask{op: opRelu, a: x}, len(x)) }

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
	splitElems(ewTask{op: opReluBackward, a: dx, b: dy, c: y}, len(dx))
}

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

// Softmax replaces each row of the m×n matrix x by its softmax, subtracting
// the row maximum first so that large logits cannot overflow.
func Softmax(x []float32, m, n int) {
	for i := 0; i < m; i++ {
		row := x[i*n : i*n+n]
		mx := row[0]
		for _, v := range row[1:] {
			mx = max(mx, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			row[j] = float32(e)
			sum += e
		}
		inv := float32(1 / sum)
		for j := range row {
			row[j] *= inv
		}
	}
}

// SoftmaxBackward computes, row by row, dx = y ⊙ (dy − ⟨dy, y⟩), the
// product of the softmax Jacobian with dy; y is the softmax output. dx may
// alias dy.
func SoftmaxBackward(dx, dy, y []float32, m, n int) {
	for i := 0; i < m; i++ {
		yr, dyr, dxr := y[i*n:i*n+n], dy[i*n:i*n+n], dx[i*n:i*n+n]
		var dot float32
		for j := range yr {
			dot += dyr[j] * yr[j]
		}
		for j := range yr {
			dxr[j] = yr[j] * (dyr[j] - dot)
		}
	}
}

// AdamUpdate applies one Adam step to param from grad, updating the first
// and second moment estimates m and v in place, with Keras's formula:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = p − lrT·m / (√v + ε)
//
// where lrT = lr·√(1−β2ᵗ)/(1−β1ᵗ) is computed by the caller.
func AdamUpdate(param, grad, m, v []float32, lrT, beta1, beta2, eps float32) {
	grad, m, v = grad[:len(param)], m[:len(param)], v[:len(param)]
	splitElems(ewTask{op: opAdam, a: param, b: grad, c: m, d: v, k: [4]float32{lrT, beta1, beta2, eps}}, len(param))
}

func adamUpdate(param, grad, m, v []float32, lrT, beta1, beta2, eps float32) {
	if hasAVX512 && len(param) > 0 {
		c := [6]float32{lrT, beta1, 1 - beta1, beta2, 1 - beta2, eps}
		adamAVX512(&param[0], &grad[0], &m[0], &v[0], len(param), &c)
		return
	}
	for i, g := range grad {
		mi := beta1*m[i] + (1-beta1)*g
		vi := beta2*v[i] + (1-beta2)*g*g
		m[i], v[i] = mi, vi
		param[i] -= lrT * mi / (float32(math.Sqrt(float64(vi))) + eps)
	}
}

// SGDUpdate applies one step of SGD with momentum to param, in Keras's form:
//
//	velocity = momentum·velocity − lr·g
//	p = p + velocity                     (plain)
//	p = p + momentum·velocity − lr·g     (nesterov)
//
// velocity may be nil when momentum is 0.
func SGDUpdate(param, grad, velocity []float32, lr, momentum float32, nesterov bool) {
	grad = grad[:len(param)]
	if momentum == 0 {
		for i, g := range grad {
			param[i] -= lr * g
		}
		return
	}
	velocity = velocity[:len(param)]
	for i, g := range grad {
		v := momentum*velocity[i] - lr*g
		velocity[i] = v
		if nesterov {
			param[i] += momentum*v - lr*g
		} else {
			param[i] += v
		}
	}
}
