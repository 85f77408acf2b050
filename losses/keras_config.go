package losses

import (
	"fmt"

	"github.com/tailor-ml/tailor/config"
)

// This file reads the options of the losses added after the first two,
// and the keys every Keras loss configuration carries, so that a loss
// configuration written by Keras's get_config reads back.

// readKerasKeys reads the keys of a Keras loss configuration that Tailor
// keeps at their Keras defaults: reduction (Tailor's losses average over
// the batch, Keras's "sum_over_batch_size", which tf.keras called "auto"),
// dtype (float32), axis (−1, for the losses that have one) and
// ignore_class (null, for the sparse loss). Any other value is an error.
func readKerasKeys(c *config.Reader) {
	switch r := c.String("reduction", "sum_over_batch_size"); r {
	case "sum_over_batch_size", "auto":
	default:
		c.Fail(fmt.Errorf("reduction is %q, want \"sum_over_batch_size\": Tailor's losses average over the batch", r))
	}
	if d := c.String("dtype", "float32"); d != "float32" {
		c.Fail(fmt.Errorf("dtype is %q, want \"float32\" or null", d))
	}
	if c.Has("axis") {
		c.Int("axis", -1, -1, -1)
	}
	if v, _ := c.Value("ignore_class"); v != nil {
		c.Fail(fmt.Errorf("ignore_class is %v, want null: Tailor does not ignore a class", v))
	}
}

// checkSmoothing returns an error unless 0 ≤ ε < 1.
func checkSmoothing(name string, epsilon float64) error {
	if !(epsilon >= 0 && epsilon < 1) {
		return fmt.Errorf("%s: label_smoothing is %v, want a value in [0, 1)", name, epsilon)
	}
	return nil
}

// Validator is implemented by the losses that have options: Validate
// reports options out of range, which a loss built as a struct literal may
// hold (tailor's Compile calls it).
type Validator interface {
	Validate() error
}

// Validate returns an error unless 0 ≤ LabelSmoothing < 1.
func (l SparseCategoricalCrossentropyLoss) Validate() error {
	return checkSmoothing(l.Name(), l.LabelSmoothing)
}

// Validate returns an error unless 0 ≤ LabelSmoothing < 1.
func (l CategoricalCrossentropyLoss) Validate() error {
	return checkSmoothing(l.Name(), l.LabelSmoothing)
}

// Validate returns an error unless 0 ≤ LabelSmoothing < 1.
func (l BinaryCrossentropyLoss) Validate() error { return checkSmoothing(l.Name(), l.LabelSmoothing) }

// Config returns the loss's configuration as Keras's get_config would
// describe it: {"label_smoothing": ε} and {"from_logits": true} for the
// options that are set.
func (l CategoricalCrossentropyLoss) Config() map[string]any {
	return crossentropyConfig(l.LabelSmoothing, l.FromLogits)
}

// sparseFromConfig reads SparseCategoricalCrossentropy's options.
func sparseFromConfig(c *config.Reader) (Loss, error) {
	l, err := SparseCategoricalCrossentropyWithSmoothing(c.Float("label_smoothing", 0))
	l.FromLogits = c.Bool("from_logits", false)
	return l, err
}

// categoricalFromConfig reads CategoricalCrossentropy's options.
func categoricalFromConfig(c *config.Reader) (Loss, error) {
	l := CategoricalCrossentropyLoss{LabelSmoothing: c.Float("label_smoothing", 0), FromLogits: c.Bool("from_logits", false)}
	return l, l.Validate()
}

// binaryFromConfig reads BinaryCrossentropy's options.
func binaryFromConfig(c *config.Reader) (Loss, error) {
	l := BinaryCrossentropyLoss{LabelSmoothing: c.Float("label_smoothing", 0), FromLogits: c.Bool("from_logits", false)}
	return l, l.Validate()
}
