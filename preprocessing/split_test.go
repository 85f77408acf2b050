package preprocessing

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestTrainTestSplitSizes(t *testing.T) {
	// The sizes scikit-learn 1.2's train_test_split gives.
	tests := []struct {
		n                 int
		test, train       float64
		wantTrain, wantTe int
	}{
		{569, 0.2, 0, 455, 114},
		{150, 0.25, 0, 112, 38},
		{178, 0.3, 0, 124, 54},
		{10, 0, 0, 7, 3}, // the default test size, 0.25, rounds up
		{10, 3, 0, 7, 3}, // a count
		{10, 0, 0.55, 5, 5},
		{10, 0.2, 0.5, 5, 2},
	}
	for _, tt := range tests {
		train, test, err := TrainTestSplit(tt.n, SplitOptions{TestSize: tt.test, TrainSize: tt.train, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(train) != tt.wantTrain || len(test) != tt.wantTe {
			t.Errorf("n %d test %v train %v: %d/%d, want %d/%d", tt.n, tt.test, tt.train, len(train), len(test), tt.wantTrain, tt.wantTe)
		}
		seen := map[int]bool{}
		for _, i := range append(slices.Clone(train), test...) {
			if i < 0 || i >= tt.n || seen[i] {
				t.Fatalf("index %d out of range or repeated", i)
			}
			seen[i] = true
		}
	}
}

func TestTrainTestSplitDeterministic(t *testing.T) {
	a1, b1, _ := TrainTestSplit(100, SplitOptions{TestSize: 0.2, Seed: 7})
	a2, b2, _ := TrainTestSplit(100, SplitOptions{TestSize: 0.2, Seed: 7})
	a3, _, _ := TrainTestSplit(100, SplitOptions{TestSize: 0.2, Seed: 8})
	if !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(b1, b2) {
		t.Error("the same seed gave different splits")
	}
	if reflect.DeepEqual(a1, a3) {
		t.Error("seeds 7 and 8 gave the same split")
	}
	if slices.IsSorted(a1) {
		t.Error("training indices are in order: not shuffled")
	}
	train, test, _ := TrainTestSplit(10, SplitOptions{TestSize: 0.3, NoShuffle: true})
	if !reflect.DeepEqual(train, []int{0, 1, 2, 3, 4, 5, 6}) || !reflect.DeepEqual(test, []int{7, 8, 9}) {
		t.Errorf("no shuffle: %v %v", train, test)
	}
}

func TestTrainTestSplitStratified(t *testing.T) {
	count := func(idx, y []int, class int) int {
		n := 0
		for _, i := range idx {
			if y[i] == class {
				n++
			}
		}
		return n
	}
	// Breast cancer's 212 malignant and 357 benign: sklearn's
	// _approximate_mode gives the training set 170 and 285 of them, the
	// test set 42 and 72.
	y := make([]int, 569)
	for i := range y {
		if i >= 212 {
			y[i] = 1
		}
	}
	for seed := uint64(0); seed < 3; seed++ {
		train, test, err := TrainTestSplit(len(y), SplitOptions{TestSize: 0.2, Seed: seed, Stratify: y})
		if err != nil {
			t.Fatal(err)
		}
		if c0, c1 := count(train, y, 0), count(train, y, 1); c0 != 170 || c1 != 285 {
			t.Errorf("seed %d: training classes %d/%d, want 170/285", seed, c0, c1)
		}
		if c0, c1 := count(test, y, 0), count(test, y, 1); c0 != 42 || c1 != 72 {
			t.Errorf("seed %d: test classes %d/%d, want 42/72", seed, c0, c1)
		}
	}
	// Iris's three classes of 50 into 112 training examples: 37.33 each,
	// so one class, drawn at random, gets 38.
	iris := make([]int, 150)
	for i := range iris {
		iris[i] = i / 50
	}
	train, test, err := TrainTestSplit(150, SplitOptions{TestSize: 0.25, Seed: 3, Stratify: iris})
	if err != nil {
		t.Fatal(err)
	}
	got := []int{count(train, iris, 0), count(train, iris, 1), count(train, iris, 2)}
	slices.Sort(got)
	if !reflect.DeepEqual(got, []int{37, 37, 38}) || len(test) != 38 {
		t.Errorf("iris training classes %v (test %d), want 37, 37, 38 in some order", got, len(test))
	}
}

func TestTrainTestSplitErrors(t *testing.T) {
	tests := []struct {
		n    int
		opts SplitOptions
		want string
	}{
		{0, SplitOptions{}, "no examples"},
		{10, SplitOptions{TestSize: 1.5}, "test size is 1.5, want a fraction in (0, 1) or a whole number of examples in [1, 10)"},
		{10, SplitOptions{TestSize: 10}, "test size is 10"},
		{10, SplitOptions{TestSize: -0.2}, "test size is -0.2"},
		{10, SplitOptions{TrainSize: 2.5}, "train size is 2.5"},
		{10, SplitOptions{TestSize: 0.6, TrainSize: 0.5}, "add up to more than 1"},
		{10, SplitOptions{TestSize: 5, TrainSize: 6}, "5 test examples, more than the 10"},
		{1, SplitOptions{TestSize: 0.5}, "the training set would be empty"},
		{4, SplitOptions{Stratify: []int{0, 0, 1}}, "3 labels to stratify by for 4 examples"},
		{4, SplitOptions{Stratify: []int{0, 0, 0, 1}}, "class 1 has 1 example, too few to stratify"},
		{6, SplitOptions{TestSize: 2, Stratify: []int{0, 0, 1, 1, 2, 2}}, "4 training and 2 test examples for 3 classes"},
		{4, SplitOptions{NoShuffle: true, Stratify: []int{0, 0, 1, 1}}, "must shuffle"},
	}
	for _, tt := range tests {
		if _, _, err := TrainTestSplit(tt.n, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("n %d %+v: error %v, want %q", tt.n, tt.opts, err, tt.want)
		}
	}
}
