package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Serve answers requests on ln until ctx ends — tailor serve's context
// ends on SIGINT or SIGTERM — and then shuts down gracefully: it stops
// accepting connections, lets the requests in flight finish (for at most
// Options.ShutdownTimeout), and closes s. It returns nil after a graceful
// shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          s.opts.ErrorLog,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		s.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(stop)
	if errors.Is(err, context.DeadlineExceeded) {
		hs.Close()
		err = fmt.Errorf("serve: requests still in flight after %v; their connections were closed", s.opts.ShutdownTimeout)
	}
	if e := <-served; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("serve: %w", e)
	}
	s.Close()
	return err
}
