package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTutorialFollowsTheNotebook runs the tutorial for one epoch and reads
// its output against the notebook it follows: every value the notebook
// prints, in the notebook's order, then the figures.
func TestTutorialFollowsTheNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	out := filepath.Join(t.TempDir(), "figures") // created by the tutorial
	code, stdout, stderr := runCLI(t, "tutorial", "--epochs", "1", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The notebook's cells and outputs, in order; values that depend on
	// training are patterns.
	want := []string{
		">>> (X_train, y_train), (X_test, y_test) = mnist.load_data()",
		">>> X_train.shape, y_train.shape\n((60000, 28, 28), (60000,))\n",
		">>> np.max(X_train)\n255\n",
		">>> np.min(X_train)\n0\n",
		">>> np.mean(X_train)\n72.94035223214286\n",
		">>> y_train\narray([9, 0, 0, ..., 3, 0, 5], dtype=uint8)\n",
		">>> class_names\n['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']\n",
		">>> plt.figure(); plt.imshow(X_train[1]); plt.colorbar()\nwrote " + filepath.Join(out, "train_image_1.png"),
		">>> y_train[1]\n0  (T-shirt/top)\n",
		">>> X_train = X_train/255.0",
		"wrote " + filepath.Join(out, "train_image_1_scaled.png"),
		">>> np.min(X_train), np.max(X_train)\n(0.0, 1.0)\n",
		"Total params: 101,770",
		">>> model.fit(X_train, y_train, epochs=1)\nEpoch 1/1\n1875/1875 - ",
		">>> test_loss, test_acc = model.evaluate(X_test, y_test)\n313/313 - ",
		">>> print(test_acc)\n0.",
		">>> y_pred = model.predict_classes(X_test)",
		">>> accuracy_score(y_test, y_pred)\n0.",
		">>> y_pred\narray([",
		", ..., ",
		">>> pred[0]\narray([",
		"dtype=float32)\n>>> np.argmax(pred[0])\n",
		">>> np.argmax(pred[1])\n",
		">>> y_test[0], y_test[1]\n(9, 2)\n",
		"## Overfitting",
		"## Next steps",
		"tailor train --model mlp-dropout",
		"tailor train --model cifar-cnn",
		"tailor train --dataset breast-cancer",
		"wrote " + filepath.Join(out, "predictions_grid.png"),
	}
	rest := stdout
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("the output lacks, after what came before,\n%q\noutput:\n%s", w, stdout)
		}
		rest = rest[i+len(w):]
	}
	// test_acc and accuracy_score print the same accuracy, which the
	// overfitting paragraph rounds.
	acc := regexp.MustCompile(`>>> print\(test_acc\)\n(0\.\d+)\n`).FindStringSubmatch(stdout)
	score := regexp.MustCompile(`>>> accuracy_score\(y_test, y_pred\)\n(0\.\d+)\n`).FindStringSubmatch(stdout)
	if acc == nil || score == nil || acc[1] != score[1] {
		t.Errorf("test_acc %v and accuracy_score %v differ", acc, score)
	}
	if !regexp.MustCompile(`in its last epoch, but \d+\.\d% of the`).MatchString(stdout) {
		t.Error("the overfitting paragraph does not give this run's figures")
	}
	for _, f := range []string{"train_image_1.png", "train_image_1.svg", "train_image_1_scaled.svg", "train_images_25.png", "prediction_0.png", "prediction_single.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("figure %s: %v", f, err)
		}
	}
}
