package kernels

import "math"

// Optimizer updates and subnormal numbers.
//
// A first moment whose gradient stays zero decays geometrically (β1 = 0.9
// per step) and becomes subnormal after a few hundred steps: in the
// tutorial MLP, Adam's first moment of the first layer held 8,000–11,000
// subnormals out of 100,352 after one to three epochs (the border pixels of
// Fashion-MNIST are almost always 0). Intel cores compute with subnormals
// through a microcode assist that costs on the order of a hundred cycles per
// instruction, which made Adam most of an MLP step there. TensorFlow sets
// the CPU's flush-to-zero and denormals-are-zero modes for its kernels
// (PyTorch offers torch.set_flush_denormal), so its optimizers never see a
// subnormal either.
//
// The rule, the same on every path (AVX-512, AVX2 and portable Go, bit for
// bit):
//
//   - the vector loops compute with the CPU's flush-to-zero and
//     denormals-are-zero modes set, as TensorFlow does: an operation whose
//     result would be subnormal gives zero, a subnormal operand reads as
//     zero, and no instruction takes the slow path;
//   - every moment, velocity and weight an update stores is +0 when its
//     magnitude is below FlushBelow = 2^-95 (zeros of either sign
//     included), and so is lrT·m before Adam divides it, when below 2^-125;
//   - the portable loop reads subnormal operands and constants as zero
//     (daz) and computes with subnormals in between.
//
// The portable loop then gives the vector loops' bits: where an operation's
// result differs between the two modes, both results are below 2^-126 in
// magnitude; added to something of at least 2^-101, either vanishes in the
// rounding (below half its ulp), and otherwise the sum is below 2^-100, and
// flushed in both. The flushes stand only where the results are stored and
// where Adam divides, so they cost a few instructions per vector. Values
// below 2^-95 (2.5·10^-29) carry nothing a float32 weight could use: the
// largest change they can make to a weight of magnitude above 10^-21 is
// below half its ulp.

// FlushBelow is the magnitude below which AdamWUpdate and SGDWUpdate store
// a moment, velocity or weight as +0.
const FlushBelow = 0x1p-95

// flushT returns +0 for |x| < FlushBelow (no bit of the biased exponent's
// top three set, 0x70000000) and x otherwise, NaNs and infinities
// included.
func flushT(x float32) float32 {
	if math.Float32bits(x)&0x70000000 == 0 {
		return 0
	}
	return x
}

// flush returns +0 for |x| < 2^-125 (biased exponent 0 or 1) and x
// otherwise.
func flush(x float32) float32 {
	if math.Float32bits(x)&0x7f000000 == 0 {
		return 0
	}
	return x
}

// daz returns x with a subnormal read as zero of its sign, as the CPU's
// denormals-are-zero mode reads it.
func daz(x float32) float32 {
	if b := math.Float32bits(x); b&0x7f800000 == 0 {
		return math.Float32frombits(b & 0x80000000)
	}
	return x
}

// CountSubnormals returns how many values of x are subnormal (nonzero, with
// a magnitude below 2^-126, the smallest normal float32): a check that a
// buffer, such as an optimizer's state, holds none.
func CountSubnormals(x []float32) int {
	n := 0
	for _, v := range x {
		if b := math.Float32bits(v) & 0x7fffffff; b != 0 && b < 0x00800000 {
			n++
		}
	}
	return n
}

// AdamWUpdate applies one Adam step to param from grad, updating the first
// and second moment estimates m and v in place, with Keras's formula and
// AdamW's decoupled weight decay fused in:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = decay·p − lrT·m / (√v + ε)
//
// where lrT = lr·√(1−β2ᵗ)/(1−β1ᵗ) and decay = 1 − lr·weight_decay (1 for
// plain Adam) are computed by the caller, 0 ≤ β1, β2 < 1 and 0 < decay ≤ 1.
// Each operation is rounded to float32 in this order (no fused
// multiply-adds), with the flush rule above; the bits do not depend on the
// CPU, and are those of Scale(param, decay) followed by the step with decay
// 1. Large updates (a whole parameter arena) are split across the worker
// pool.
func AdamWUpdate(param, grad, m, v []float32, lrT, beta1, beta2, eps, decay float32) {
	n := len(param)
	grad, m, v = grad[:n], m[:n], v[:n]
	t := adamTask{param: param, grad: grad, m: m, v: v, c: adamConsts(lrT, beta1, beta2, eps, decay)}
	if !worthSplitting(n, n) {
		t.run(0, lines(n))
		return
	}
	runSplit(&adamTasks, t, lines(n))
}

// adamConsts are the constants of adamAVX512: (lrT, β1, 1−β1, β2, 1−β2, ε,
// decay), each read as the vector loops read it.
func adamConsts(lrT, beta1, beta2, eps, decay float32) [8]float32 {
	return [8]float32{daz(lrT), daz(beta1), daz(1 - beta1), daz(beta2), daz(1 - beta2), daz(eps), daz(decay)}
}

// adamTask is AdamWUpdate over the elements of cache lines [lo, hi) (see
// lines).
type adamTask struct {
	param, grad, m, v []float32
	c                 [8]float32
}

var adamTasks freeList[adamTask]

func (t *adamTask) run(lo, hi int) {
	lo, hi = lineRange(lo, hi, len(t.param))
	adamUpdate(t.param[lo:hi], t.grad[lo:hi], t.m[lo:hi], t.v[lo:hi], &t.c)
}

func adamUpdate(param, grad, m, v []float32, c *[8]float32) {
	n := len(param)
	if n == 0 {
		return
	}
	grad, m, v = grad[:n], m[:n], v[:n]
	i := 0
	switch {
	case hasAVX512:
		adamAVX512(&param[0], &grad[0], &m[0], &v[0], n, c)
		return
	case hasAVX2 && n >= 8:
		i = n &^ 7
		adamAVX2(&param[0], &grad[0], &m[0], &v[0], i, c)
	}
	adamGo(param[i:], grad[i:], m[i:], v[i:], c)
}

// adamGo is the portable Adam loop, which the vector loops match bit for
// bit. The explicit conversions keep the compiler from fusing a multiply
// and an add (the Go spec allows it otherwise).
func adamGo(param, grad, m, v []float32, c *[8]float32) {
	lrT, b1, c1, b2, c2, eps, decay := c[0], c[1], c[2], c[3], c[4], c[5], c[6]
	grad, m, v = grad[:len(param)], m[:len(param)], v[:len(param)]
	for i := range param {
		g := daz(grad[i])
		mi := flushT(float32(b1*daz(m[i])) + float32(c1*g))
		vi := flushT(float32(b2*daz(v[i])) + float32(float32(c2*g)*g))
		m[i], v[i] = mi, vi
		q := flush(float32(lrT*mi)) / (float32(math.Sqrt(float64(vi))) + eps)
		param[i] = flushT(float32(decay*daz(param[i])) - q)
	}
}

// SGDWUpdate applies one step of SGD with momentum to param, in Keras's
// form, with decoupled weight decay fused in as Keras's SGD with
// weight_decay:
//
//	velocity = momentum·velocity − lr·g
//	p = decay·p + velocity                     (plain)
//	p = decay·p + momentum·velocity − lr·g     (nesterov)
//
// or p = decay·p − lr·g when momentum is 0, where velocity may be nil; 0 ≤
// momentum ≤ 1 and decay = 1 − lr·weight_decay, 0 < decay ≤ 1 (1 for plain
// SGD). Each operation is rounded to float32 in this order, with the flush
// rule above, giving the bits of Scale(param, decay) followed by the step
// with decay 1. Large updates are split across the worker pool.
func SGDWUpdate(param, grad, velocity []float32, lr, momentum float32, nesterov bool, decay float32) {
	n := len(param)
	grad = grad[:n]
	mode := 0
	if momentum != 0 {
		velocity = velocity[:n]
		mode = 1
		if nesterov {
			mode = 2
		}
	} else {
		velocity = nil
	}
	t := sgdTask{param: param, grad: grad, vel: velocity, c: [4]float32{daz(lr), daz(momentum), daz(decay)}, mode: mode}
	if !worthSplitting(n, n) {
		t.run(0, lines(n))
		return
	}
	runSplit(&sgdTasks, t, lines(n))
}

// MovingAverage updates avg, an exponential moving average of x, in place:
//
//	avg = momentum·avg + (1−momentum)·x
//
// with 0 ≤ momentum ≤ 1 (0 copies x), each operation rounded to float32
// in this order and the stored average flushed as the updates' are
// (FlushBelow): the bits do not depend on the CPU. It is SGDWUpdate's
// momentum-free step with the average as the weights, x as the gradient,
// decay = momentum and lr = −(1−momentum), whose negation is exact. Large
// updates are split across the worker pool.
func MovingAverage(avg, x []float32, momentum float32) {
	n := len(avg)
	t := sgdTask{param: avg, grad: x[:n], c: [4]float32{daz(-(1 - momentum)), 0, daz(momentum)}}
	if !worthSplitting(n, n) {
		t.run(0, lines(n))
		return
	}
	runSplit(&sgdTasks, t, lines(n))
}

// sgdTask is SGDWUpdate over the elements of cache lines [lo, hi); mode is 0 without
// momentum, 1 with momentum, 2 with Nesterov momentum.
type sgdTask struct {
	param, grad, vel []float32
	c                [4]float32
	mode             int
}

var sgdTasks freeList[sgdTask]

func (t *sgdTask) run(lo, hi int) {
	lo, hi = lineRange(lo, hi, len(t.param))
	var vel []float32
	if t.vel != nil {
		vel = t.vel[lo:hi]
	}
	sgdUpdate(t.param[lo:hi], t.grad[lo:hi], vel, &t.c, t.mode)
}

func sgdUpdate(param, grad, vel []float32, c *[4]float32, mode int) {
	n := len(param)
	if n == 0 {
		return
	}
	var vp *float32
	if mode != 0 {
		vp = &vel[0]
	}
	i := 0
	switch {
	case hasAVX512:
		sgdAVX512(&param[0], &grad[0], vp, n, c, mode)
		return
	case hasAVX2 && n >= 8:
		i = n &^ 7
		sgdAVX2(&param[0], &grad[0], vp, i, c, mode)
	}
	if mode != 0 {
		vel = vel[i:]
	}
	sgdGo(param[i:], grad[i:], vel, c, mode)
}

// sgdGo is the portable SGD loop, which the vector loops match bit for bit.
func sgdGo(param, grad, vel []float32, c *[4]float32, mode int) {
	lr, mom, decay := c[0], c[1], c[2]
	grad = grad[:len(param)]
	for i := range param {
		lg := float32(lr * daz(grad[i]))
		p := float32(decay * daz(param[i]))
		if mode == 0 {
			param[i] = flushT(p - lg)
			continue
		}
		v := flushT(float32(mom*daz(vel[i])) - lg)
		vel[i] = v
		if mode == 2 {
			v = flushT(float32(mom*v) - lg)
		}
		param[i] = flushT(p + v)
	}
}
