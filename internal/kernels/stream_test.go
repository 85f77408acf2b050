package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

func TestNewStream(t *testing.T) {
	for _, n := range []int{0, 1, 17, 4096, 101770} {
		for stream := range 20 {
			s := NewStream(n, stream)
			if len(s) != n || cap(s) != n {
				t.Fatalf("NewStream(%d, %d): len %d cap %d", n, stream, len(s), cap(s))
			}
			for i, v := range s {
				if v != 0 {
					t.Fatalf("NewStream(%d, %d)[%d] = %v, want 0", n, stream, i, v)
				}
			}
			if n == 0 {
				continue
			}
			at := uintptr(unsafe.Pointer(&s[0])) % pageBytes
			if want := uintptr(stream*streamStagger) % pageBytes; at != want {
				t.Errorf("NewStream(%d, %d) starts %d bytes into a page, want %d", n, stream, at, want)
			}
		}
	}
}

// TestUpdatesSplitByLines checks that Adam and SGD split across the pool
// (by cache lines, the last one partial) give the bits of one serial pass.
func TestUpdatesSplitByLines(t *testing.T) {
	for _, n := range []int{100003, 1 << 17} {
		p, g, m, v := benchRand(n), benchRand(n), benchRand(n), benchRand(n)
		for i := range v {
			v[i] *= v[i]
		}
		sp, sm, sv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		if !worthSplitting(lines(n), n) {
			t.Skip("one thread: nothing is split")
		}
		AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 0.99)
		c := adamConsts(1e-3, 0.9, 0.999, 1e-7, 0.99)
		adamUpdate(sp, g, sm, sv, &c)
		same(t, fmt.Sprint("adam weights, n ", n), p, sp)
		same(t, fmt.Sprint("adam m, n ", n), m, sm)
		same(t, fmt.Sprint("adam v, n ", n), v, sv)

		vel, svel := benchRand(n), []float32(nil)
		svel = append(svel, vel...)
		SGDWUpdate(p, g, vel, 1e-2, 0.9, true, 1)
		sgdUpdate(sp, g, svel, &[4]float32{1e-2, 0.9, 1}, 2)
		same(t, fmt.Sprint("sgd weights, n ", n), p, sp)
		same(t, fmt.Sprint("sgd velocity, n ", n), vel, svel)

		avg, savg := benchRand(n), []float32(nil)
		savg = append(savg, avg...)
		MovingAverage(avg, p, 0.999)
		sgdUpdate(savg, p, nil, &[4]float32{-(1 - float32(0.999)), 0, 0.999}, 0)
		same(t, fmt.Sprint("moving average, n ", n), avg, savg)
	}
}

// BenchmarkAdamStreams times Adam over the tutorial MLP's 101,770 weights
// with its four arrays starting at the same offset in a page, as separate
// large allocations do, and staggered by NewStream.
func BenchmarkAdamStreams(b *testing.B) {
	const n = 101770
	for _, staggered := range []bool{false, true} {
		arrays := make([][]float32, 4)
		for i := range arrays {
			if staggered {
				arrays[i] = NewStream(n, i)
			} else {
				arrays[i] = make([]float32, n)
			}
			copy(arrays[i], benchRand(n))
		}
		p, g, m, v := arrays[0], arrays[1], arrays[2], arrays[3]
		for i := range v {
			v[i] *= v[i]
		}
		b.Run(fmt.Sprint("staggered=", staggered), func(b *testing.B) {
			cpuLoop(b, func() { AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1) })
		})
	}
}
