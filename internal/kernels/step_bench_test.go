package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks in this file replay, kernel call by kernel call, one
// training step of the tutorial MLP and of the reference CNN at batch 32
// (the calls the layers make, on buffers of the layers' sizes), each stage
// timed on its own so that a profile of a step can be read stage by stage:
//
//	go test -run - -bench 'Step' -count 5 ./internal/kernels | benchstat -
//
// BenchmarkRefCNNStep/all and BenchmarkMLPStep/all run the whole step.

// stage is one named part of a training step.
type stage struct {
	name string
	run  func()
}

func runStages(b *testing.B, stages []stage) {
	for _, s := range stages {
		s.run() // warm the buffers and the pool
	}
	for _, s := range stages {
		b.Run(s.name, func(b *testing.B) { cpuLoop(b, s.run) })
	}
	b.Run("all", func(b *testing.B) {
		cpuLoop(b, func() {
			for _, s := range stages {
				s.run()
			}
		})
	})
}

func benchRand(n int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32() - 0.5
	}
	return s
}

// adamStage is one Adam step over n parameters, as the optimizer issues it
// over a parameter arena.
func adamStage(n int) stage {
	p, g, m, v := benchRand(n), benchRand(n), make([]float32, n), make([]float32, n)
	return stage{fmt.Sprintf("adam_%d", n), func() { AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1) }}
}

// BenchmarkMLPStep replays a step of Flatten → Dense(128, relu) →
// Dense(10, softmax) at batch 32, with Adam over the 101,770 weights.
func BenchmarkMLPStep(b *testing.B) {
	const bs, in, h, out = 32, 784, 128, 10
	x, w1, b1 := benchRand(bs*in), benchRand(in*h), benchRand(h)
	w2, b2 := benchRand(h*out), benchRand(out)
	h1, z2 := make([]float32, bs*h), make([]float32, bs*out)
	dw1, db1, dw2, db2 := make([]float32, in*h), make([]float32, h), make([]float32, h*out), make([]float32, out)
	dh := make([]float32, bs*h)
	runStages(b, []stage{
		{"fwd1", func() { Sgemm(false, false, bs, h, in, 1, x, in, w1, h, 0, h1, h); BiasRelu(h1, bs, h, b1) }},
		{"fwd2", func() {
			Sgemm(false, false, bs, out, h, 1, h1, h, w2, out, 0, z2, out)
			AddBias(z2, bs, out, b2)
			Softmax(z2, bs, out)
		}},
		{"bwd2", func() {
			Sgemm(true, false, h, out, bs, 1, h1, h, z2, out, 0, dw2, out)
			SumRows(db2, z2, bs, out, 0)
			Sgemm(false, true, bs, h, out, 1, z2, out, w2, out, 0, dh, h)
		}},
		{"bwd1", func() {
			ReluBackward(dh, dh, h1)
			Sgemm(true, false, in, h, bs, 1, x, in, dh, h, 0, dw1, h)
			SumRows(db1, dh, bs, h, 0)
		}},
		adamStage(in*h + h + h*out + out),
	})
}

// BenchmarkRefCNNStep replays a step of the reference CNN (Conv2D(32) →
// MaxPool → Conv2D(64) → MaxPool → Dense(128) → Dropout → Dense(10)) at
// batch 32, with Adam over its 421,642 weights.
func BenchmarkRefCNNStep(b *testing.B) {
	const bs = 32
	g1, _ := NewConvGeom(28, 28, 1, 3, 3, 1, 1, true)
	p1, _ := NewConvGeom(28, 28, 32, 2, 2, 2, 2, false)
	g2, _ := NewConvGeom(14, 14, 32, 3, 3, 1, 1, true)
	p2, _ := NewConvGeom(14, 14, 64, 2, 2, 2, 2, false)
	c1, c2 := NewConv(g1, 32), NewConv(g2, 64)
	x := benchRand(bs * g1.InSize())
	w1, b1 := benchRand(g1.PatchSize()*32), benchRand(32)
	w2, b2 := benchRand(g2.PatchSize()*64), benchRand(64)
	const flat, h, out = 7 * 7 * 64, 128, 10
	w3, b3, w4, b4 := benchRand(flat*h), benchRand(h), benchRand(h*out), benchRand(out)
	y1 := make([]float32, bs*g1.Pixels()*32)
	q1 := make([]float32, bs*p1.Pixels()*32)
	y2 := make([]float32, bs*g2.Pixels()*64)
	q2 := make([]float32, bs*p2.Pixels()*64)
	h3, mask, d3, z4 := make([]float32, bs*h), make([]float32, bs*h), make([]float32, bs*h), make([]float32, bs*out)
	dw1, db1, dw2, db2 := make([]float32, len(w1)), make([]float32, 32), make([]float32, len(w2)), make([]float32, 64)
	dw3, db3, dw4, db4 := make([]float32, len(w3)), make([]float32, h), make([]float32, len(w4)), make([]float32, out)
	dh, dq2, dq1 := make([]float32, bs*h), make([]float32, len(q2)), make([]float32, len(q1))
	dz2, dz1 := make([]float32, len(y2)), make([]float32, len(y1))
	runStages(b, []stage{
		{"conv1_fwd", func() { c1.Forward(y1, x, w1, b1, bs, true) }},
		{"pool1_fwd", func() { MaxPool2D(q1, y1, bs, &p1) }},
		{"conv2_fwd", func() { c2.Forward(y2, q1, w2, b2, bs, true) }},
		{"pool2_fwd", func() { MaxPool2D(q2, y2, bs, &p2) }},
		{"dense_fwd", func() {
			Sgemm(false, false, bs, h, flat, 1, q2, flat, w3, h, 0, h3, h)
			BiasRelu(h3, bs, h, b3)
			Dropout(d3, mask, h3, 1, 2, 0x4ccc, 1/0.7)
			Sgemm(false, false, bs, out, h, 1, d3, h, w4, out, 0, z4, out)
			AddBias(z4, bs, out, b4)
			Softmax(z4, bs, out)
		}},
		{"dense_bwd", func() {
			Sgemm(true, false, h, out, bs, 1, d3, h, z4, out, 0, dw4, out)
			SumRows(db4, z4, bs, out, 0)
			Sgemm(false, true, bs, h, out, 1, z4, out, w4, out, 0, dh, h)
			Mul(dh, dh, mask)
			ReluBackward(dh, dh, h3)
			Sgemm(true, false, flat, h, bs, 1, q2, flat, dh, h, 0, dw3, h)
			SumRows(db3, dh, bs, h, 0)
			Sgemm(false, true, bs, flat, h, 1, dh, h, w3, h, 0, dq2, flat)
		}},
		{"pool2_relu_bwd", func() { MaxPool2DReluBackward(dz2, dq2, y2, q2, bs, &p2) }}, // layers.Fuse
		{"conv2_dw", func() { c2.KernelGrad(dw2, q1, dz2, bs); SumRows(db2, dz2, bs*g2.Pixels(), 64, 0) }},
		{"conv2_dx", func() { c2.InputGrad(dq1, dz2, w2, bs) }},
		{"pool1_relu_bwd", func() { MaxPool2DReluBackward(dz1, dq1, y1, q1, bs, &p1) }},
		{"conv1_dw", func() { c1.KernelGrad(dw1, x, dz1, bs); SumRows(db1, dz1, bs*g1.Pixels(), 32, 0) }},
		adamStage(len(w1) + 32 + len(w2) + 64 + len(w3) + h + len(w4) + out),
	})
}
