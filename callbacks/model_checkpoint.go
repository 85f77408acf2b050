package callbacks

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/pyrepr"
	"github.com/tailor-ml/tailor/saving"
)

// ModelCheckpointCallback saves the model at the end of every epoch, or
// only when a figure improves, as Keras's ModelCheckpoint does.
type ModelCheckpointCallback struct {
	// Path is where to save. It may hold Python-style fields, filled in
	// from the epoch (counted from 1) and the logs:
	// "model-{epoch:02d}-{val_loss:.4f}.tailor".
	Path string
	// Monitor is the figure SaveBestOnly watches (default "val_loss").
	Monitor string
	// SaveBestOnly saves only when Monitor improves on its best so far.
	SaveBestOnly bool
	// SaveWeightsOnly writes the weights alone (saving.SaveWeights, a
	// safetensors file) instead of the model file (saving.Save).
	SaveWeightsOnly bool
	// Mode is "min", "max" or "auto" (the default), as for EarlyStopping.
	Mode string
	// Meta is recorded in model files.
	Meta saving.Meta
	// Log, when not nil, receives a line at every save.
	Log io.Writer

	mon      monitor
	st       modelCheckpointState
	restored bool
}

type modelCheckpointState struct {
	Best optFloat `json:"best"`
}

// ModelCheckpoint returns a callback that saves the model to path at the
// end of every epoch; set SaveBestOnly to save only when "val_loss"
// (or Monitor) improves.
func ModelCheckpoint(path string) *ModelCheckpointCallback {
	return &ModelCheckpointCallback{Path: path, Monitor: "val_loss"}
}

// OnTrainBegin checks the settings and starts afresh, unless SetState has
// just restored a state.
func (c *ModelCheckpointCallback) OnTrainBegin(*tailor.Model) error {
	var err error
	if c.mon, err = newMonitor(c.Monitor, c.Mode, 0); err != nil {
		return fmt.Errorf("model checkpoint: %w", err)
	}
	if c.restored {
		c.restored = false
		c.st.Best = optFloat(c.st.Best.orWorst(c.mon))
		return nil
	}
	c.st = modelCheckpointState{Best: optFloat(c.mon.worst())}
	return nil
}

// OnEpochBegin does nothing.
func (c *ModelCheckpointCallback) OnEpochBegin(*tailor.Model, int) error { return nil }

// OnBatchEnd does nothing.
func (c *ModelCheckpointCallback) OnBatchEnd(*tailor.Model, int, int, float64) error { return nil }

// OnEpochEnd saves the model, if it is to be saved.
func (c *ModelCheckpointCallback) OnEpochEnd(m *tailor.Model, epoch int, logs tailor.Logs) error {
	path, err := formatPath(c.Path, epoch, logs)
	if err != nil {
		return fmt.Errorf("model checkpoint: %w", err)
	}
	if c.SaveBestOnly {
		current, err := c.mon.value("model checkpoint", logs)
		if err != nil {
			return err
		}
		if !c.mon.improves(current, float64(c.st.Best)) {
			if c.Log != nil {
				fmt.Fprintf(c.Log, "Epoch %d: %s did not improve from %.5f\n", epoch+1, c.Monitor, float64(c.st.Best))
			}
			return nil
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "Epoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch+1, c.Monitor, float64(c.st.Best), current, path)
		}
		c.st.Best = optFloat(current)
	} else if c.Log != nil {
		fmt.Fprintf(c.Log, "Epoch %d: saving model to %s\n", epoch+1, path)
	}
	if c.SaveWeightsOnly {
		err = saving.SaveWeights(path, m)
	} else {
		err = saving.Save(path, m, c.Meta)
	}
	if err != nil {
		return fmt.Errorf("model checkpoint: %w", err)
	}
	return nil
}

// OnTrainEnd does nothing.
func (c *ModelCheckpointCallback) OnTrainEnd(*tailor.Model, tailor.Logs) error { return nil }

// State returns the best figure so far.
func (c *ModelCheckpointCallback) State() (json.RawMessage, error) { return json.Marshal(c.st) }

// SetState restores a state State returned.
func (c *ModelCheckpointCallback) SetState(b json.RawMessage) error {
	var st modelCheckpointState
	if err := decodeState("model checkpoint", b, &st); err != nil {
		return err
	}
	c.st, c.restored = st, true
	return nil
}

var (
	pathField = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}`)
	pySpec    = regexp.MustCompile(`^([0-9]*)(\.[0-9]+)?([dfeg]?)$`)
)

// formatPath fills the fields of a Keras-style file path, as Python's
// str.format(epoch=epoch+1, **logs) would: {epoch}, {epoch:03d},
// {val_loss:.2f}.
func formatPath(path string, epoch int, logs tailor.Logs) (string, error) {
	var err error
	out := pathField.ReplaceAllStringFunc(path, func(f string) string {
		sub := pathField.FindStringSubmatch(f)
		name, spec := sub[1], sub[2]
		parts := pySpec.FindStringSubmatch(spec)
		if parts == nil {
			err = fmt.Errorf("path %q: format %q of {%s} is not supported (want e.g. 02d or .4f)", path, spec, name)
			return f
		}
		if name == "epoch" {
			if parts[2] != "" || (parts[3] != "" && parts[3] != "d") {
				err = fmt.Errorf("path %q: {epoch} is an integer", path)
				return f
			}
			return fmt.Sprintf("%"+parts[1]+"d", epoch+1)
		}
		v, ok := logs[name]
		if !ok {
			err = fmt.Errorf("path %q: %q is not among the figures", path, name)
			return f
		}
		if parts[3] == "d" {
			err = fmt.Errorf("path %q: {%s} is not an integer", path, name)
			return f
		}
		if spec == "" {
			return pyrepr.Float(v)
		}
		verb, precision := parts[3], parts[2]
		switch {
		case verb == "":
			verb = "g"
		case precision == "":
			precision = ".6" // Python's default for e, f and g; Go's %g has none
		}
		return fmt.Sprintf("%"+parts[1]+precision+verb, v)
	})
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(out) == "" {
		return "", fmt.Errorf("empty path")
	}
	return out, nil
}
