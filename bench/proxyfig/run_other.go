//go:build !linux

package proxyfig

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Run measures the proxy figures on Linux only (the peak memory is read
// from ru_maxrss, whose unit differs between systems); elsewhere it returns
// an error wrapping errors.ErrUnsupported.
func Run(ctx context.Context, opts Options) (Result, error) {
	return Result{Options: opts.withDefaults()}, fmt.Errorf("proxy figures on %s: %w (Linux only)", runtime.GOOS, errors.ErrUnsupported)
}
