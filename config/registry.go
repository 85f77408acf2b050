package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// FromConfig rebuilds one object of a registered class from its
// configuration. It reads the values it needs from c; keys it does not
// read are reported as unknown by the registry.
type FromConfig[T any] func(c *Reader) (T, error)

// Registry maps class names to the functions that rebuild objects of
// type T. It is safe for concurrent use; a package keeps one registry per
// kind of object, and its built-in classes register themselves exactly as
// user classes do.
type Registry[T any] struct {
	kind string // "layer", "optimizer", ... for messages

	mu  sync.RWMutex
	fns map[string]FromConfig[T]
}

// NewRegistry returns an empty registry for objects of the given kind.
func NewRegistry[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, fns: map[string]FromConfig[T]{}}
}

// Register records fn as the way to rebuild the class name. Like
// database/sql.Register it panics when name is empty, fn is nil or name is
// already registered: registration happens once, at initialisation, and a
// clash is a programming error.
func (r *Registry[T]) Register(name string, fn FromConfig[T]) {
	if name == "" || fn == nil {
		panic(fmt.Sprintf("config: Register of %s %q with an empty name or a nil function", r.kind, name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.fns[name]; dup {
		panic(fmt.Sprintf("config: %s %q registered twice", r.kind, name))
	}
	r.fns[name] = fn
}

// New rebuilds an object of class name from cfg. Keys in ignore (such as
// "name", which callers apply themselves) count as read. It is an error
// for the class to be unregistered, for the function to fail, or for cfg
// to hold keys the function did not read; the error does not repeat the
// class name, which callers put in their own context.
func (r *Registry[T]) New(name string, cfg map[string]any, ignore ...string) (T, error) {
	var zero T
	r.mu.RLock()
	fn := r.fns[name]
	r.mu.RUnlock()
	if fn == nil {
		return zero, fmt.Errorf("unknown %s %q (registered: %s)", r.kind, name, strings.Join(r.Names(), ", "))
	}
	c := New(cfg, ignore...)
	v, err := fn(c)
	if c.err != nil { // a bad value, the likely cause of any error fn returned
		err = c.err
	}
	if err == nil {
		err = c.Err() // unknown keys
	}
	if err != nil {
		return zero, err
	}
	return v, nil
}

// Has reports whether name is registered.
func (r *Registry[T]) Has(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.fns[name] != nil
}

// Names returns the registered class names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.fns))
}
