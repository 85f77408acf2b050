package sklearn

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/internal/testenv"
)

// needInstalled skips unless python3-sklearn's files are present; CI
// installs the package (.ci/run), so the test runs there.
func needInstalled(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultDir, "iris.csv")); err != nil {
		testenv.Missing(t, "python3-sklearn is not installed (%v): apt-get install python3-sklearn", err)
	}
}

func TestLoadInstalled(t *testing.T) {
	needInstalled(t)
	tests := []struct {
		name      string
		load      func(Options) (*Dataset, error)
		n, f      int
		first     []float32 // the first example's first features
		firstY    int32
		meanOfCol float64 // mean of feature 0, as numpy computes it
	}{
		{"breast-cancer", LoadBreastCancer, 569, 30, []float32{17.99, 10.38, 122.8, 1001}, 0, 14.127291739894552},
		{"iris", LoadIris, 150, 4, []float32{5.1, 3.5, 1.4, 0.2}, 0, 5.843333333333334},
		{"wine", LoadWine, 178, 13, []float32{14.23, 1.71, 2.43, 15.6}, 0, 13.000617977528083},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.load(Options{})
			if err != nil {
				t.Fatal(err)
			}
			byName, err := Load(tt.name, Options{})
			if err != nil || byName.Data.Data[0] != d.Data.Data[0] {
				t.Fatalf("Load(%q): %v", tt.name, err)
			}
			if !d.Data.Shape.Equal([]int{tt.n, tt.f}) || len(d.Target) != tt.n || len(d.FeatureNames) != tt.f {
				t.Fatalf("shape %v, %d targets, %d feature names", d.Data.Shape, len(d.Target), len(d.FeatureNames))
			}
			for j, w := range tt.first {
				if d.Data.Data[j] != w {
					t.Errorf("example 0 feature %d = %v, want %v", j, d.Data.Data[j], w)
				}
			}
			if d.Target[0] != tt.firstY {
				t.Errorf("example 0 class %d", d.Target[0])
			}
			var s float64
			for i := 0; i < tt.n; i++ {
				s += float64(d.Data.Data[i*tt.f])
			}
			if m := s / float64(tt.n); math.Abs(m-tt.meanOfCol) > 1e-5 {
				t.Errorf("mean of %s %v, want %v", d.FeatureNames[0], m, tt.meanOfCol)
			}
			ds, err := d.Labeled()
			if err != nil || ds.Len() != tt.n {
				t.Errorf("Labeled: %v", err)
			}
		})
	}
	if _, err := Load("breast_cancer", Options{}); err != nil {
		t.Errorf("breast_cancer: %v", err)
	}
}

// irisText returns a well-formed iris.csv of generated values.
func irisText() []string {
	lines := []string{"150,4,setosa,versicolor,virginica"}
	for i := 0; i < 150; i++ {
		lines = append(lines, fmt.Sprintf("%.1f,3.0,1.%d,0.2,%d", 4+float64(i%30)/10, i%10, i/50))
	}
	return lines
}

func writeIris(t *testing.T, lines []string) string {
	t.Helper()
	dir := t.TempDir()
	text := strings.Join(lines, "\n")
	if len(lines) > 0 {
		text += "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadErrors(t *testing.T) {
	good := irisText()
	d, err := LoadIris(Options{Dir: writeIris(t, good)})
	if err != nil {
		t.Fatalf("generated file: %v", err)
	}
	if d.Data.Data[4] != 4.1 || d.Target[149] != 2 || d.ClassNames[1] != "versicolor" {
		t.Errorf("generated file read as %v ... %v", d.Data.Data[:8], d.Target[149])
	}
	mutate := func(f func(l []string) []string) []string {
		l := append([]string(nil), good...)
		return f(l)
	}
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"empty", []string{}, "iris.csv: empty file"},
		{"header", mutate(func(l []string) []string { l[0] = "150,4,a,b,c"; return l }), `iris.csv:1: header ["150" "4" "a" "b" "c"], want sklearn's ["150" "4" "setosa" "versicolor" "virginica"]`},
		{"fields", mutate(func(l []string) []string { l[7] = "5.0,3.0,1.4,0"; return l }), "iris.csv:8: 4 fields, want 4 features and a class"},
		{"number", mutate(func(l []string) []string { l[3] = "5.0,x,1.4,0.2,0"; return l }), `iris.csv:4: feature 2 (sepal width (cm)) is "x", want a finite number`},
		{"infinity", mutate(func(l []string) []string { l[3] = "5.0,1e999,1.4,0.2,0"; return l }), `feature 2 (sepal width (cm)) is "1e999"`},
		{"beyond float32", mutate(func(l []string) []string { l[3] = "5.0,3.0,1e39,0.2,0"; return l }), `iris.csv:4: feature 3 (petal length (cm)) is "1e39", outside float32's range (±3.4028235e+38)`},
		{"below float32", mutate(func(l []string) []string { l[5] = "-3.5e38,3.0,1.4,0.2,0"; return l }), `iris.csv:6: feature 1 (sepal length (cm)) is "-3.5e38", outside float32's range`},
		{"class", mutate(func(l []string) []string { l[9] = "5.0,3.0,1.4,0.2,3"; return l }), `iris.csv:10: class "3", want 0 to 2`},
		{"short", good[:100], "iris.csv:100: 99 examples, want 150"},
		{"long", append(append([]string(nil), good...), "5.0,3.0,1.4,0.2,0"), "iris.csv:152: more than the 150 examples"},
		{"class counts", mutate(func(l []string) []string { l[1] = "5.0,3.0,1.4,0.2,1"; return l }), "[49 51 50] examples of each class, want sklearn's [50 50 50]"},
		{"long line", mutate(func(l []string) []string { l[2] = strings.Repeat("1", 70000); return l }), "iris.csv: line 3: bufio.Scanner: token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadIris(Options{Dir: writeIris(t, tt.lines)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	_, err = LoadWine(Options{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "wine_data.csv does not exist: install Debian's python3-sklearn (apt-get install python3-sklearn)") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load("digits", Options{}); err == nil || !strings.Contains(err.Error(), `unknown dataset "digits" (want breast-cancer, iris, wine)`) {
		t.Errorf("unknown name: %v", err)
	}
}
