// Package sklearn loads the small tabular datasets that scikit-learn ships
// with its code, as sklearn.datasets.load_breast_cancer, load_iris and
// load_wine do, from the CSV files of Debian's python3-sklearn package:
//
//	LoadBreastCancer   569 tumours, 30 features, malignant (212) or benign (357)
//	LoadIris           150 flowers, 4 features, 3 species of 50
//	LoadWine           178 wines, 13 features, 3 cultivars (59, 71, 48)
//
// Each file's first line is sklearn's own header — the number of samples,
// the number of features, then the class names — and every other line is
// one example's features followed by its class index. The loader checks
// all of it against what sklearn documents for the dataset (sizes, class
// names and the number of examples of each class), so that a damaged or
// different file is an error naming the file and the line. The feature
// names, which the files do not hold, are those sklearn's loaders attach.
//
// The files are looked for in Options.Dir, by default DefaultDir, where
// python3-sklearn installs them (apt-get install python3-sklearn).
package sklearn

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/tensor"
)

// DefaultDir is where Debian's python3-sklearn installs the data files.
const DefaultDir = "/usr/lib/python3/dist-packages/sklearn/datasets/data"

// Options configures the loaders.
type Options struct {
	// Dir is the directory holding the CSV files; DefaultDir when empty.
	Dir string
}

// Dataset is one of sklearn's bundled datasets: what its Bunch holds.
type Dataset struct {
	// Name is the dataset's name as Load takes it, e.g. "breast-cancer".
	Name string
	// Data holds the features, (N, F), as float32.
	Data *tensor.Tensor
	// Target holds each example's class index, 0 to len(ClassNames)−1.
	Target []int32
	// FeatureNames names the F features, as sklearn's feature_names.
	FeatureNames []string
	// ClassNames names the classes, as sklearn's target_names.
	ClassNames []string
	// File is the file the data was read from.
	File string
}

// Labeled returns the examples with their class labels, for Fit and
// Evaluate.
func (d *Dataset) Labeled() (*datasets.Labeled, error) { return datasets.WithLabels(d.Data, d.Target) }

// spec is what sklearn documents about a dataset.
type spec struct {
	name, file   string
	classes      []string
	classCounts  []int
	featureNames []string
}

var specs = []spec{
	{
		name: "breast-cancer", file: "breast_cancer.csv",
		classes: []string{"malignant", "benign"}, classCounts: []int{212, 357},
		featureNames: []string{
			"mean radius", "mean texture", "mean perimeter", "mean area",
			"mean smoothness", "mean compactness", "mean concavity",
			"mean concave points", "mean symmetry", "mean fractal dimension",
			"radius error", "texture error", "perimeter error", "area error",
			"smoothness error", "compactness error", "concavity error",
			"concave points error", "symmetry error", "fractal dimension error",
			"worst radius", "worst texture", "worst perimeter", "worst area",
			"worst smoothness", "worst compactness", "worst concavity",
			"worst concave points", "worst symmetry", "worst fractal dimension",
		},
	},
	{
		name: "iris", file: "iris.csv",
		classes: []string{"setosa", "versicolor", "virginica"}, classCounts: []int{50, 50, 50},
		featureNames: []string{"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"},
	},
	{
		name: "wine", file: "wine_data.csv",
		classes: []string{"class_0", "class_1", "class_2"}, classCounts: []int{59, 71, 48},
		featureNames: []string{
			"alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
			"total_phenols", "flavanoids", "nonflavanoid_phenols",
			"proanthocyanins", "color_intensity", "hue",
			"od280/od315_of_diluted_wines", "proline",
		},
	},
}

// Names returns the names Load accepts: "breast-cancer", "iris", "wine".
func Names() []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// Load returns the named dataset: "breast-cancer" (or "breast_cancer"),
// "iris" or "wine", as the command line's --dataset names them.
func Load(name string, opts Options) (*Dataset, error) {
	key := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	for i := range specs {
		if specs[i].name == key {
			return load(&specs[i], opts)
		}
	}
	return nil, fmt.Errorf("sklearn: unknown dataset %q (want %s)", name, strings.Join(Names(), ", "))
}

// LoadBreastCancer returns the Wisconsin diagnostic breast cancer data, as
// sklearn.datasets.load_breast_cancer.
func LoadBreastCancer(opts Options) (*Dataset, error) { return load(&specs[0], opts) }

// LoadIris returns Fisher's iris data, as sklearn.datasets.load_iris.
func LoadIris(opts Options) (*Dataset, error) { return load(&specs[1], opts) }

// LoadWine returns the UCI wine recognition data, as
// sklearn.datasets.load_wine.
func LoadWine(opts Options) (*Dataset, error) { return load(&specs[2], opts) }

// ErrNotInstalled is matched (errors.Is) by the error a loader returns
// when the data file is absent.
var ErrNotInstalled = errors.New("sklearn: data not installed")

// maxFileBytes bounds what a loader reads; the largest file,
// breast_cancer.csv, is 120 KB.
const maxFileBytes = 4 << 20

func load(s *spec, opts Options) (*Dataset, error) {
	dir := opts.Dir
	if dir == "" {
		dir = DefaultDir
	}
	path := filepath.Join(dir, s.file)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist: install Debian's python3-sklearn (apt-get install python3-sklearn), or set Options.Dir to a directory holding %s", ErrNotInstalled, path, s.file)
	}
	if err != nil {
		return nil, fmt.Errorf("sklearn: %w", err)
	}
	defer f.Close()
	return read(f, path, s)
}

// read parses and checks one file.
func read(r io.Reader, path string, s *spec) (*Dataset, error) {
	n, nf := 0, len(s.featureNames)
	for _, c := range s.classCounts {
		n += c
	}
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("sklearn: %s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	sc := bufio.NewScanner(io.LimitReader(r, maxFileBytes+1))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	read := 0
	line := 0
	next := func() ([]string, bool) {
		if !sc.Scan() {
			return nil, false
		}
		line++
		read += len(sc.Bytes()) + 1
		return strings.Split(strings.TrimRight(sc.Text(), "\r"), ","), true
	}
	header, ok := next()
	if !ok {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("sklearn: %s: %w", path, err)
		}
		return nil, fmt.Errorf("sklearn: %s: empty file", path)
	}
	want := append([]string{strconv.Itoa(n), strconv.Itoa(nf)}, s.classes...)
	if !slices.Equal(header, want) {
		return nil, fail(1, "header %q, want sklearn's %q (samples, features, class names)", header, want)
	}
	d := &Dataset{
		Name: s.name, File: path, Data: tensor.New(n, nf), Target: make([]int32, n),
		FeatureNames: slices.Clone(s.featureNames), ClassNames: slices.Clone(s.classes),
	}
	counts := make([]int, len(s.classes))
	for i := 0; ; i++ {
		fields, ok := next()
		if !ok {
			if err := sc.Err(); err != nil {
				return nil, fmt.Errorf("sklearn: %s: line %d: %w", path, line+1, err)
			}
			if read > maxFileBytes {
				return nil, fmt.Errorf("sklearn: %s: larger than %d bytes", path, maxFileBytes)
			}
			if i != n {
				return nil, fail(line, "%d examples, want %d", i, n)
			}
			break
		}
		if i >= n {
			return nil, fail(line, "more than the %d examples the header announces", n)
		}
		if len(fields) != nf+1 {
			return nil, fail(line, "%d fields, want %d features and a class", len(fields), nf)
		}
		row := d.Data.Row(i)
		for j, v := range fields[:nf] {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, fail(line, "feature %d (%s) is %q, want a finite number", j+1, s.featureNames[j], v)
			}
			row[j] = float32(x)
			if math.IsInf(float64(row[j]), 0) {
				return nil, fail(line, "feature %d (%s) is %q, outside float32's range (±%g)", j+1, s.featureNames[j], v, float32(math.MaxFloat32))
			}
		}
		c, err := strconv.Atoi(fields[nf])
		if err != nil || c < 0 || c >= len(s.classes) {
			return nil, fail(line, "class %q, want 0 to %d", fields[nf], len(s.classes)-1)
		}
		d.Target[i] = int32(c)
		counts[c]++
	}
	if !slices.Equal(counts, s.classCounts) {
		return nil, fmt.Errorf("sklearn: %s: %v examples of each class, want sklearn's %v", path, counts, s.classCounts)
	}
	return d, nil
}
