package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/config"
)

type shape struct {
	kind string
	size int
}

func newRegistry() *config.Registry[shape] {
	r := config.NewRegistry[shape]("shape")
	r.Register("Square", func(c *config.Reader) (shape, error) {
		size := c.Int("size", 1, 1, 100)
		if c.Bool("fail", false) {
			return shape{}, errors.New("asked to fail")
		}
		return shape{"square", size}, nil
	})
	r.Register("Dot", func(*config.Reader) (shape, error) { return shape{kind: "dot"}, nil })
	return r
}

func TestRegistry(t *testing.T) {
	r := newRegistry()
	got, err := r.New("Square", map[string]any{"size": 7.0, "name": "s"}, "name")
	if err != nil || got != (shape{"square", 7}) {
		t.Fatalf("New = %v, %v", got, err)
	}
	if names := r.Names(); strings.Join(names, ",") != "Dot,Square" {
		t.Errorf("Names() = %v", names)
	}
	if !r.Has("Dot") || r.Has("Circle") {
		t.Error("Has is wrong")
	}
	for _, tc := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"Circle", nil, `unknown shape "Circle" (registered: Dot, Square)`},
		{"Square", map[string]any{"size": 0.0}, "size is 0, want an integer in [1, 100]"},
		{"Square", map[string]any{"size": 2.0, "colour": "red"}, `unknown configuration keys ["colour"]`},
		{"Square", map[string]any{"fail": true}, "asked to fail"},
		// A bad value is reported before the error it causes.
		{"Square", map[string]any{"size": "big", "fail": true}, "size is big"},
	} {
		if _, err := r.New(tc.class, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s, %v): %v, want an error containing %q", tc.class, tc.cfg, err, tc.want)
		}
	}
}

func TestRegisterPanics(t *testing.T) {
	for name, register := range map[string]func(r *config.Registry[shape]){
		"twice": func(r *config.Registry[shape]) {
			r.Register("Dot", func(*config.Reader) (shape, error) { return shape{}, nil })
		},
		"no name": func(r *config.Registry[shape]) {
			r.Register("", func(*config.Reader) (shape, error) { return shape{}, nil })
		},
		"nil func": func(r *config.Registry[shape]) { r.Register("Line", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", name)
				}
			}()
			register(newRegistry())
		}()
	}
}
