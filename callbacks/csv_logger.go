package callbacks

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/pyrepr"
)

// CSVLoggerCallback writes every epoch's figures to a CSV file, as Keras's
// CSVLogger does: a header "epoch,accuracy,loss,val_accuracy,val_loss"
// (the figures sorted by name), then one row per epoch, the epoch counted
// from 0, numbers as Python prints them.
type CSVLoggerCallback struct {
	tailor.NopCallback
	// Path is the file written.
	Path string
	// Separator separates the fields (default ",").
	Separator string
	// Append adds to an existing file instead of starting it afresh, for
	// resuming; the header is written only into an empty file.
	Append bool

	keys []string
}

// CSVLogger returns a callback that logs every epoch to the CSV file at
// path.
func CSVLogger(path string) *CSVLoggerCallback {
	return &CSVLoggerCallback{Path: path, Separator: ","}
}

// OnTrainBegin empties the file, unless Append is set.
func (c *CSVLoggerCallback) OnTrainBegin(*tailor.Model) error {
	c.keys = nil
	if c.Append {
		return nil
	}
	if err := os.WriteFile(c.Path, nil, 0o644); err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	return nil
}

// OnEpochEnd appends the epoch's row. The file is opened and closed for
// each row, so that it is complete whenever training stops.
func (c *CSVLoggerCallback) OnEpochEnd(_ *tailor.Model, epoch int, logs tailor.Logs) error {
	sep := c.Separator
	if sep == "" {
		sep = ","
	}
	f, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("csv logger: %w", err)
	}
	if c.keys == nil {
		for k := range logs {
			c.keys = append(c.keys, k)
		}
		sort.Strings(c.keys)
	}
	w := bufio.NewWriter(f)
	if st.Size() == 0 {
		w.WriteString(strings.Join(append([]string{"epoch"}, c.keys...), sep) + "\n")
	}
	row := []string{strconv.Itoa(epoch)}
	for _, k := range c.keys {
		if v, ok := logs[k]; ok {
			row = append(row, pyrepr.Float(v))
		} else {
			row = append(row, "NA")
		}
	}
	w.WriteString(strings.Join(row, sep) + "\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("csv logger: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	return nil
}
