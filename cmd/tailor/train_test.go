package main

import (
	"strings"
	"testing"
)

// TestTrainCIFAR10Model: tailor train --model cifar-cnn reads CIFAR-10,
// not Fashion-MNIST — from --data alone when it is given, so a directory
// without the archive is an error naming it. (The real archive cannot be
// downloaded here; datasets/cifar10's tests load generated ones, and
// models' tests train the recipe on generated colour images.)
func TestTrainCIFAR10Model(t *testing.T) {
	code, _, stderr := runCLI(t, "train", "--model", "cifar-cnn", "--data", t.TempDir(), "--quiet")
	if code != 1 || !strings.Contains(stderr, "cifar-10-binary.tar.gz") {
		t.Errorf("exit %d, %q: want an error naming the CIFAR-10 archive", code, stderr)
	}
}
