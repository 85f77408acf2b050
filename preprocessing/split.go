package preprocessing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SplitOptions are TrainTestSplit's settings. The zero value holds out a
// random quarter of the examples, with seed 0.
type SplitOptions struct {
	// TestSize is the size of the test set: a fraction in (0, 1) of the
	// examples (rounded up), or a count of at least 1, a whole number.
	// Zero means the complement of TrainSize, or 0.25 if TrainSize is
	// zero too, as in scikit-learn.
	TestSize float64
	// TrainSize is the size of the training set, in the same way (a
	// fraction rounded down); zero means the complement of TestSize.
	TrainSize float64
	// Seed seeds the shuffle: the same seed gives the same split.
	Seed uint64
	// NoShuffle takes the training set from the front and the test set
	// after it, in order (sklearn's shuffle=False).
	NoShuffle bool
	// Stratify, when not nil, holds a class label per example: each class
	// is then split in the proportions of the whole, as sklearn's
	// stratify=y (StratifiedShuffleSplit) does.
	Stratify []int
}

// splitSeed is the second word of the PCG state TrainTestSplit draws from.
const splitSeed = 0x7472_6169_6e74_6573 // "traintes"

// TrainTestSplit splits the indices 0, ..., n−1 into a training and a test
// set, as scikit-learn's train_test_split(range(n), ...) does: the sizes
// follow sklearn's rules (a fraction of the test set rounds up, of the
// training set down), and a stratified split allocates each class its
// share as sklearn's StratifiedShuffleSplit does (the floor of each
// class's proportional share, the remaining places going to the classes
// with the largest remainders, ties drawn at random). The random draws are
// Tailor's own (a PCG seeded with opts.Seed), so the indices differ from
// sklearn's for the same seed, but they are the same on every run and
// machine for a given seed.
//
// It is an error for the sizes to be invalid, for the training set to be
// empty, and, when stratifying, for a class to have fewer than two
// examples or a set fewer examples than there are classes.
func TrainTestSplit(n int, opts SplitOptions) (train, test []int, err error) {
	nTrain, nTest, err := splitSizes(n, opts.TestSize, opts.TrainSize)
	if err != nil {
		return nil, nil, err
	}
	if opts.NoShuffle {
		if opts.Stratify != nil {
			return nil, nil, fmt.Errorf("train-test split: a stratified split must shuffle (NoShuffle is set)")
		}
		return indexRange(0, nTrain), indexRange(nTrain, nTrain+nTest), nil
	}
	rng := rand.New(rand.NewPCG(opts.Seed, splitSeed))
	if opts.Stratify == nil {
		perm := rng.Perm(n)
		return perm[nTest : nTest+nTrain], perm[:nTest], nil
	}
	return stratified(rng, opts.Stratify, n, nTrain, nTest)
}

func indexRange(lo, hi int) []int {
	out := make([]int, hi-lo)
	for i := range out {
		out[i] = lo + i
	}
	return out
}

// splitSizes applies sklearn's _validate_shuffle_split.
func splitSizes(n int, testSize, trainSize float64) (nTrain, nTest int, err error) {
	if n <= 0 {
		return 0, 0, fmt.Errorf("train-test split: no examples to split")
	}
	if testSize == 0 && trainSize == 0 {
		testSize = 0.25
	}
	size := func(what string, v float64, round func(float64) float64) (int, error) {
		switch {
		case v == 0:
			return -1, nil
		case v > 0 && v < 1:
			return int(round(v * float64(n))), nil
		case v >= 1 && v == math.Trunc(v) && v < float64(n):
			return int(v), nil
		}
		return 0, fmt.Errorf("train-test split: %s is %v, want a fraction in (0, 1) or a whole number of examples in [1, %d)", what, v, n)
	}
	if nTest, err = size("test size", testSize, math.Ceil); err != nil {
		return 0, 0, err
	}
	if nTrain, err = size("train size", trainSize, math.Floor); err != nil {
		return 0, 0, err
	}
	if testSize > 0 && testSize < 1 && trainSize > 0 && trainSize < 1 && testSize+trainSize > 1 {
		return 0, 0, fmt.Errorf("train-test split: test size %v and train size %v add up to more than 1", testSize, trainSize)
	}
	if nTrain < 0 {
		nTrain = n - nTest
	}
	if nTest < 0 {
		nTest = n - nTrain
	}
	if nTrain+nTest > n {
		return 0, 0, fmt.Errorf("train-test split: %d training and %d test examples, more than the %d there are", nTrain, nTest, n)
	}
	if nTrain == 0 {
		return 0, 0, fmt.Errorf("train-test split: with %d examples and test size %v the training set would be empty", n, testSize)
	}
	return nTrain, nTest, nil
}

// stratified is sklearn's StratifiedShuffleSplit for one split.
func stratified(rng *rand.Rand, y []int, n, nTrain, nTest int) (train, test []int, err error) {
	if len(y) != n {
		return nil, nil, fmt.Errorf("train-test split: %d labels to stratify by for %d examples", len(y), n)
	}
	classes := slices.Clone(y)
	slices.Sort(classes)
	classes = slices.Compact(classes)
	byClass := make([][]int, len(classes)) // each class's indices, in order
	for i, l := range y {
		c, _ := slices.BinarySearch(classes, l)
		byClass[c] = append(byClass[c], i)
	}
	counts := make([]int, len(classes))
	for c, idx := range byClass {
		counts[c] = len(idx)
		if len(idx) < 2 {
			return nil, nil, fmt.Errorf("train-test split: class %d has %d example, too few to stratify (want at least 2 per class)", classes[c], len(idx))
		}
	}
	if nTrain < len(classes) || nTest < len(classes) {
		return nil, nil, fmt.Errorf("train-test split: %d training and %d test examples for %d classes, want at least one of each class in each set", nTrain, nTest, len(classes))
	}
	nI := approximateMode(rng, counts, nTrain)
	remaining := make([]int, len(counts))
	for c := range counts {
		remaining[c] = counts[c] - nI[c]
	}
	tI := approximateMode(rng, remaining, nTest)
	for c, idx := range byClass {
		perm := rng.Perm(len(idx))
		for k, p := range perm {
			switch {
			case k < nI[c]:
				train = append(train, idx[p])
			case k < nI[c]+tI[c]:
				test = append(test, idx[p])
			}
		}
	}
	shuffle := func(s []int) { rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] }) }
	shuffle(train)
	shuffle(test)
	return train, test, nil
}

// approximateMode is sklearn's _approximate_mode: the number of draws from
// each class, proportional to its count, summing to draws. Each class gets
// the floor of its share; the places left go to the classes with the
// largest remainders, drawn at random among equal remainders.
func approximateMode(rng *rand.Rand, counts []int, draws int) []int {
	total := 0
	for _, c := range counts {
		total += c
	}
	out := make([]int, len(counts))
	rem := make([]float64, len(counts))
	need := draws
	for i, c := range counts {
		cont := float64(c) / float64(total) * float64(draws)
		fl := math.Floor(cont)
		out[i], rem[i] = int(fl), cont-fl
		need -= int(fl)
	}
	values := slices.Clone(rem)
	slices.Sort(values)
	values = slices.Compact(values)
	slices.Reverse(values)
	for _, v := range values {
		if need <= 0 {
			break
		}
		var inds []int
		for i, r := range rem {
			if r == v {
				inds = append(inds, i)
			}
		}
		rng.Shuffle(len(inds), func(i, j int) { inds[i], inds[j] = inds[j], inds[i] })
		add := min(len(inds), need)
		for _, i := range inds[:add] {
			out[i]++
		}
		need -= add
	}
	return out
}
