package kernels

import "math"

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
	if !worthSplitting(len(param), len(param)) {
		adamUpdate(param, grad, m, v, lrT, beta1, beta2, eps)
		return
	}
	runSplit(&adamTasks, adamTask{param: param, grad: grad, m: m, v: v, lrT: lrT, beta1: beta1, beta2: beta2, eps: eps}, len(param))
}

// adamTask is AdamUpdate over elements [lo, hi).
type adamTask struct {
	param, grad, m, v      []float32
	lrT, beta1, beta2, eps float32
}

var adamTasks freeList[adamTask]

func (t *adamTask) run(lo, hi int) {
	adamUpdate(t.param[lo:hi], t.grad[lo:hi], t.m[lo:hi], t.v[lo:hi], t.lrT, t.beta1, t.beta2, t.eps)
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
