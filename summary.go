package tailor

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Summary writes the model's layers, output shapes and parameter counts in
// Keras's classic format, building the model first if its input shape is
// declared:
//
//	Model: "sequential"
//	_________________________________________________________________
//	 Layer (type)                Output Shape              Param #
//	=================================================================
//	 flatten (Flatten)           (None, 784)               0
//	...
//	Total params: 101,770
func (m *Model) Summary(w io.Writer) error {
	if err := m.ensureBuilt(nil); err != nil {
		return err
	}
	const width = 65
	cols := [...]int{29, 55, 65} // Keras's positions .45, .85, 1 of 65
	var b strings.Builder
	// row prints fields in columns as Keras's print_row does: each field
	// is cut to its column, less two spaces of separation before the next
	// one, and what did not fit continues on the following lines, so that
	// "max_pooling2d (MaxPooling2D)" prints its ")" on a line of its own.
	// Widths count characters, as Python's str does, not bytes: a layer
	// named "décodeur" is cut between characters, and its row aligned.
	row := func(fields ...string) {
		left := make([][]rune, len(fields))
		for i, f := range fields {
			left[i] = []rune(f)
		}
		for slices.ContainsFunc(left, func(f []rune) bool { return len(f) > 0 }) {
			line, start := []rune{' '}, 0
			for i, f := range left {
				space := 2
				if i == len(cols)-1 {
					space = 0
				}
				cutoff := min(cols[i]-start-space, len(f))
				for _, end := range []string{"),", "},", "],", "',"} { // Keras breaks after these
					if k := runeIndex(f[:cutoff], []rune(end)); k >= 0 {
						cutoff = min(cutoff, k+len(end))
					}
				}
				line = append(line, f[:cutoff]...)
				line = append(line, slices.Repeat([]rune{' '}, max(space, cols[i]-len(line)))...)
				left[i] = f[cutoff:]
				start = cols[i]
			}
			b.WriteString(string(line))
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "Model: %q\n", m.name)
	b.WriteString(strings.Repeat("_", width) + "\n")
	row("Layer (type)", "Output Shape", "Param #")
	b.WriteString(strings.Repeat("=", width) + "\n")
	for i, l := range m.layers {
		n := 0
		for _, p := range l.Params() {
			n += len(p.Value.Data)
		}
		shape := "(None, " + strings.TrimPrefix(m.outputShapes[i].String(), "(")
		shape = strings.Replace(shape, ",)", ")", 1)
		row(fmt.Sprintf("%s (%s)", l.Name(), l.Type()), shape, fmt.Sprint(n))
		b.WriteString(strings.Repeat(" ", width) + "\n") // Keras 2.9+ spaces its rows
	}
	b.WriteString(strings.Repeat("=", width) + "\n")
	trainable, frozen := m.CountParams()
	fmt.Fprintf(&b, "Total params: %s\n", commas(trainable+frozen))
	fmt.Fprintf(&b, "Trainable params: %s\n", commas(trainable))
	fmt.Fprintf(&b, "Non-trainable params: %s\n", commas(frozen))
	b.WriteString(strings.Repeat("_", width) + "\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("tailor: writing the summary: %w", err)
	}
	return nil
}

// commas formats n with thousands separators: 101770 → "101,770".
func commas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// runeIndex returns the index of the first sub in s, or -1.
func runeIndex(s, sub []rune) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
