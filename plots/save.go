package plots

import (
	"fmt"
	"io"

	"github.com/tailor-ml/tailor/internal/atomicfile"
)

// SavePNG creates or replaces the file at path with what write produces,
// atomically: it writes a temporary file in the same directory, syncs it to
// disk and renames it over path, so a reader sees either the old file or the
// whole new one. On any error the temporary file is removed and path is
// left as it was. Use it with Imshow or Grid:
//
//	err := plots.SavePNG("sample.png", func(w io.Writer) error {
//		return plots.Imshow(w, img, plots.ImshowOptions{Title: "Ankle boot"})
//	})
func SavePNG(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("plots: save PNG: %w", err)
	}
	return nil
}
