package callbacks

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tailor-ml/tailor"
)

// Stateful is implemented by callbacks whose decisions depend on what they
// have seen; BackupAndRestore saves their state with its checkpoints.
type Stateful interface {
	tailor.Callback
	// State returns the callback's state as JSON.
	State() (json.RawMessage, error)
	// SetState restores a state State returned. The next OnTrainBegin
	// keeps it instead of starting afresh.
	SetState(json.RawMessage) error
}

// monitor compares the successive values of one figure of the logs.
type monitor struct {
	name     string
	minDelta float64
	max      bool // whether larger is better
}

// newMonitor resolves mode "auto" as Keras 3 does: a figure whose name
// ends in "loss" is minimised; those of metrics that improve upwards —
// names holding "acc" (the accuracies), precision and recall — maximised;
// any other name is an error asking for "min" or "max", which Keras
// would read from the metric's own direction (tf.keras 2 minimised it,
// silently the wrong way for a score).
func newMonitor(name, mode string, minDelta float64) (monitor, error) {
	m := monitor{name: name, minDelta: math.Abs(minDelta)}
	if name == "" {
		return m, fmt.Errorf("no figure to monitor")
	}
	switch mode {
	case "", "auto":
		base := strings.TrimPrefix(name, "val_")
		switch {
		case strings.HasSuffix(name, "loss"):
		case strings.Contains(base, "acc") || base == "precision" || base == "recall":
			m.max = true
		default:
			return m, fmt.Errorf("mode auto cannot tell whether %q improves upwards or downwards (it knows losses, accuracies, precision and recall): set Mode to \"min\" or \"max\"", name)
		}
	case "min":
	case "max":
		m.max = true
	default:
		return m, fmt.Errorf("mode %q, want auto, min or max", mode)
	}
	return m, nil
}

// worst is the starting best value, which anything improves on.
func (m monitor) worst() float64 {
	if m.max {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// improves reports whether current beats best by more than minDelta.
func (m monitor) improves(current, best float64) bool {
	if m.max {
		return current-m.minDelta > best
	}
	return current+m.minDelta < best
}

// value returns the monitored figure, or an error naming what the logs
// hold instead.
func (m monitor) value(who string, logs tailor.Logs) (float64, error) {
	v, ok := logs[m.name]
	if !ok {
		have := make([]string, 0, len(logs))
		for k := range logs {
			have = append(have, k)
		}
		sort.Strings(have)
		hint := ""
		if strings.HasPrefix(m.name, "val_") {
			hint = " (validation figures need ValidationSplit or ValidationData)"
		}
		return 0, fmt.Errorf("%s: %q is not among the figures %v%s", who, m.name, have, hint)
	}
	return v, nil
}

// optFloat is a float64 that may be ±Inf ("none yet"), which JSON lacks:
// it encodes as null.
type optFloat float64

func (f optFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *optFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = optFloat(math.NaN()) // replaced by the monitor's worst
		return nil
	}
	return json.Unmarshal(b, (*float64)(f))
}

// orWorst returns f, or m's worst value for null.
func (f optFloat) orWorst(m monitor) float64 {
	if math.IsNaN(float64(f)) {
		return m.worst()
	}
	return float64(f)
}

// decodeState decodes a callback's JSON state strictly.
func decodeState(who string, b json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: restoring the state: %w", who, err)
	}
	return nil
}

// floats is a []float32 that encodes in JSON as the base64 of its
// little-endian bytes: exact, and half the size of decimals.
type floats []float32

func (f floats) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return json.Marshal(b)
}

func (f *floats) UnmarshalJSON(data []byte) error {
	var b []byte
	if err := json.Unmarshal(data, &b); err != nil {
		return err
	}
	if len(b)%4 != 0 {
		return fmt.Errorf("%d bytes of float32s", len(b))
	}
	*f = make(floats, len(b)/4)
	for i := range *f {
		(*f)[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}
