package callbacks

import (
	"bufio"
	"encoding/json"
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
//
// Tracked by BackupAndRestore, it resumes the file where the checkpoint
// was taken: the rows written after it (an epoch logged before a run was
// killed or failed on the way to its checkpoint, which the resumed run
// trains again) are cut off, so that each epoch has one row.
type CSVLoggerCallback struct {
	tailor.NopCallback
	// Path is the file written.
	Path string
	// Separator separates the fields (default ",").
	Separator string
	// Append adds to an existing file instead of starting it afresh, for
	// resuming; the header is written only into an empty file.
	Append bool

	keys     []string
	size     int64 // the file's size after the last row written
	restored bool  // SetState has just restored size
}

type csvLoggerState struct {
	Size int64 `json:"size"`
}

// CSVLogger returns a callback that logs every epoch to the CSV file at
// path.
func CSVLogger(path string) *CSVLoggerCallback {
	return &CSVLoggerCallback{Path: path, Separator: ","}
}

// OnTrainBegin empties the file, unless Append is set; after SetState it
// cuts the file back to the size it had when the state was taken.
func (c *CSVLoggerCallback) OnTrainBegin(*tailor.Model) error {
	c.keys = nil
	if c.restored {
		c.restored = false
		st, err := os.Stat(c.Path)
		if err != nil {
			return fmt.Errorf("csv logger: resuming: %w", err)
		}
		if st.Size() < c.size {
			return fmt.Errorf("csv logger: resuming: %s holds %d bytes, fewer than the %d it had at the checkpoint", c.Path, st.Size(), c.size)
		}
		if err := os.Truncate(c.Path, c.size); err != nil {
			return fmt.Errorf("csv logger: resuming: %w", err)
		}
		return nil
	}
	if c.Append {
		if st, err := os.Stat(c.Path); err == nil {
			c.size = st.Size()
		}
		return nil
	}
	c.size = 0
	if err := os.WriteFile(c.Path, nil, 0o644); err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	return nil
}

// State returns the file's size after the last row written.
func (c *CSVLoggerCallback) State() (json.RawMessage, error) {
	return json.Marshal(csvLoggerState{Size: c.size})
}

// SetState restores a state State returned: the next Fit continues the
// file from there.
func (c *CSVLoggerCallback) SetState(b json.RawMessage) error {
	var st csvLoggerState
	if err := decodeState("csv logger", b, &st); err != nil {
		return err
	}
	if st.Size < 0 {
		return fmt.Errorf("csv logger: restoring the state: size %d, want 0 or more", st.Size)
	}
	c.size, c.restored = st.Size, true
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
	size := st.Size()
	if size == 0 {
		n, _ := w.WriteString(strings.Join(append([]string{"epoch"}, c.keys...), sep) + "\n")
		size += int64(n)
	}
	row := []string{strconv.Itoa(epoch)}
	for _, k := range c.keys {
		if v, ok := logs[k]; ok {
			row = append(row, pyrepr.Float(v))
		} else {
			row = append(row, "NA")
		}
	}
	n, _ := w.WriteString(strings.Join(row, sep) + "\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("csv logger: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	c.size = size + int64(n)
	return nil
}
