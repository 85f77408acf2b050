package main

import (
	"context"
	"log"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/serve"
)

// TestLoadCorrectness is the load test's short, untimed version: a few
// hundred requests from 8 clients, a third of them malformed, against an
// in-process server with batching on and off. No request may get a 5xx
// or go unanswered, every valid one must get its probabilities, and every
// malformed kind must get its own 4xx with a JSON error each time.
func TestLoadCorrectness(t *testing.T) {
	m := models.MLP()
	if err := m.SetSeed(3); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	const maxBody = 1 << 20
	set := newRequestSet("mlp", testImages()[:32], maxBody)
	for _, maxBatch := range []int{16, 1} {
		s, err := serve.New([]serve.Model{{Name: "mlp", Model: m, Meta: saving.FashionMNIST(fashionmnist.ClassNames())}},
			serve.Options{MaxBatch: maxBatch, MaxWait: time.Millisecond, MaxBodyBytes: maxBody, ErrorLog: log.New(testLog{t}, "", 0)})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		st := load(context.Background(), loadConfig{url: ts.URL, clients: 8, requests: 630, malformed: 1.0 / 3, seed: 7, images: 32}, set, newClient(8))
		ts.Close()
		s.Close()
		if st.requests != 630 {
			t.Errorf("max batch %d: %d requests counted, want 630", maxBatch, st.requests)
		}
		if st.server5xx != 0 || st.transport != 0 || st.tooMany != 0 {
			t.Errorf("max batch %d: %d 5xx, %d unanswered, %d 429", maxBatch, st.server5xx, st.transport, st.tooMany)
		}
		for _, w := range st.wrong {
			t.Errorf("max batch %d: %s", maxBatch, w)
		}
		for _, k := range append(append([]kind{}, set.valid...), set.malformed...) {
			ks := st.perKind[k.name]
			if ks == nil || ks.sent == 0 || ks.asExpected != ks.sent {
				t.Errorf("max batch %d: %s: %+v, want every one answered %d", maxBatch, k.name, ks, k.status)
			}
		}
		if st.malformedSent < 150 {
			t.Errorf("max batch %d: %d malformed requests of 630, want about 210", maxBatch, st.malformedSent)
		}
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Logf("server: %s", b)
	return len(b), nil
}
