package main

import (
	"context"
	"fmt"

	"github.com/tailor-ml/tailor/models"
)

func runSummary(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "summary", "[--model NAME]")
	name := fs.String("model", "mlp", "the model: one of "+joinNames())
	if err := parse(fs, args); err != nil {
		return err
	}
	m, err := models.New(*name)
	if err != nil {
		return usageError(fs, fmt.Sprintf("--model %q: want one of %s", *name, joinNames()))
	}
	return m.Summary(e.stdout)
}
