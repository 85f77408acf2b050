package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/datasets/sklearn"
	"github.com/tailor-ml/tailor/internal/testenv"
	"github.com/tailor-ml/tailor/saving"
)

// customer is one row of the churn table the tests write, shaped like the
// companion tutorial's: an identifier and a surname to drop, numbers and
// categories, and whether the customer left.
type customer struct {
	id                int
	surname           string
	score             int
	geography, gender string
	age               int
	balance           float64
	exited            int
}

// customers returns n customers whose leaving follows a rule of age,
// country and gender with a little noise, so that the tutorial's ANN can
// learn it well but not perfectly.
func customers(n int, seed uint64) []customer {
	rng := rand.New(rand.NewPCG(seed, 9))
	countries := []string{"France", "Spain", "Germany"}
	out := make([]customer, n)
	for i := range out {
		c := customer{id: 15600000 + i, surname: fmt.Sprintf("Name%d", rng.IntN(50)), score: 350 + rng.IntN(500),
			geography: countries[rng.IntN(3)], gender: []string{"Female", "Male"}[rng.IntN(2)],
			age: 18 + rng.IntN(60), balance: math.Round(rng.Float64()*2e7) / 100}
		logit := 0.2*float64(c.age-45) + 0.3*rng.NormFloat64()
		if c.geography == "Germany" {
			logit += 2
		}
		if c.gender == "Male" {
			logit -= 1
		}
		if logit > 0 {
			c.exited = 1
		}
		out[i] = c
	}
	return out
}

// writeCustomers writes the rows as CSV, with the target column unless
// noTarget; edit may change a row's fields (by header name) as text.
func writeCustomers(t *testing.T, path string, rows []customer, noTarget bool, edit func(i int, fields map[string]string)) {
	t.Helper()
	header := []string{"RowNumber", "Surname", "CreditScore", "Geography", "Gender", "Age", "Balance", "Exited"}
	if noTarget {
		header = header[:len(header)-1]
	}
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	for i, c := range rows {
		f := map[string]string{
			"RowNumber": strconv.Itoa(c.id), "Surname": c.surname, "CreditScore": strconv.Itoa(c.score),
			"Geography": c.geography, "Gender": c.gender, "Age": strconv.Itoa(c.age),
			"Balance": strconv.FormatFloat(c.balance, 'f', 2, 64), "Exited": strconv.Itoa(c.exited),
		}
		if edit != nil {
			edit(i, f)
		}
		vals := make([]string, len(header))
		for j, h := range header {
			vals[j] = f[h]
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSONTo(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestTrainCSVBinary trains the companion tutorial's ANN on a customer
// table (numeric and categorical columns, identifiers dropped, a binary
// target), saves it and uses the saved preprocessing: predict --csv on new
// rows without the target column, evaluate --csv on the test rows (the
// same accuracy as training reported), an unknown category and a missing
// value refused with their line and column, report --csv.
func TestTrainCSVBinary(t *testing.T) {
	dir := t.TempDir()
	data, model := filepath.Join(dir, "churn.csv"), filepath.Join(dir, "churn.tailor")
	jsonPath, splitPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "split.json")
	rows := customers(400, 1)
	writeCustomers(t, data, rows, false, nil)
	code, out, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "RowNumber,Surname",
		"--stratify", "--epochs", "150", "--seed", "2", "--quiet", "--out", model, "--json", jsonPath, "--save-split", splitPath)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"churn.csv: 400 rows, 8 columns",
		"Features: 5 columns → 8 features: 3 numeric standardised, 2 categorical one-hot encoded: Geography (3), Gender (2)",
		`Target "Exited": 2 classes`,
		"Split: 320 rows for training, 80 for testing (stratified, seed 2)",
		"dense_2 (Dense)             (None, 1)                 7",
		"Test accuracy:", "Confusion matrix (rows: true class, columns: predicted class):", "\n0 0 ", "\n1 1 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep dataReport
	readJSONTo(t, jsonPath, &rep)
	if rep.Model != "tabular-ann" || rep.Seed != 2 || rep.BatchSize != 32 || rep.TrainExamples != 320 || rep.TestExamples != 80 ||
		len(rep.Epochs) != 150 || !slices.Equal(rep.ClassNames, []string{"0", "1"}) || rep.TestAccuracy == nil || rep.Target != "Exited" {
		t.Fatalf("report %+v", rep)
	}
	if *rep.TestAccuracy < 0.85 || rep.TrainAccuracy < 0.85 || rep.Epochs[149].Loss >= rep.Epochs[0].Loss {
		t.Errorf("the ANN did not learn the rule: train %.4f, test %.4f, loss %.4f → %.4f", rep.TrainAccuracy, *rep.TestAccuracy, rep.Epochs[0].Loss, rep.Epochs[149].Loss)
	}
	total := 0
	for _, r := range rep.Confusion {
		for _, c := range r {
			total += c
		}
	}
	if len(rep.Confusion) != 2 || total != 80 || math.Abs(float64(rep.Confusion[0][0]+rep.Confusion[1][1])/80-*rep.TestAccuracy) > 1e-9 {
		t.Errorf("confusion matrix %v against test accuracy %v", rep.Confusion, *rep.TestAccuracy)
	}

	// The split: disjoint, complete, stratified.
	var split splitRecord
	readJSONTo(t, splitPath, &split)
	all := append(slices.Clone(split.Train), split.Test...)
	slices.Sort(all)
	if len(split.Test) != 80 || len(all) != 400 || all[0] != 0 || all[399] != 399 || len(slices.Compact(all)) != 400 {
		t.Fatalf("split of %d and %d rows", len(split.Train), len(split.Test))
	}
	left := func(idx []int) (n int) {
		for _, i := range idx {
			n += rows[i].exited
		}
		return n
	}
	if all, test := left(split.Train)+left(split.Test), left(split.Test); math.Abs(float64(test)-float64(all)*0.2) > 1 {
		t.Errorf("%d of the %d who left are in the test set: not stratified", test, all)
	}

	// The model file keeps the pipeline fitted on the training rows.
	_, meta, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	p := meta.Tabular
	if p == nil || p.Target == nil || p.Target.Name != "Exited" || !slices.Equal(meta.ClassNames, []string{"0", "1"}) ||
		!slices.Equal(p.FeatureNames(), []string{"CreditScore", "Geography_France", "Geography_Germany", "Geography_Spain", "Gender_Female", "Gender_Male", "Age", "Balance"}) {
		t.Fatalf("meta %+v, pipeline %+v", meta, p)
	}
	var sum float64
	for _, i := range split.Train {
		sum += float64(rows[i].age)
	}
	if mean := sum / 320; math.Abs(p.Scaler.Mean[6]-mean) > 1e-9 {
		t.Errorf("the scaler's mean age %v is not the training rows' %v", p.Scaler.Mean[6], mean)
	}
	if meta.History == nil || len(meta.History.History["accuracy"]) != 150 || meta.Training == nil {
		t.Errorf("no history or training record: %+v", meta)
	}

	// evaluate --csv on the test rows gives the accuracy training reported.
	testRows := filepath.Join(dir, "test.csv")
	var test []customer
	for _, i := range split.Test {
		test = append(test, rows[i])
	}
	writeCustomers(t, testRows, test, false, nil)
	evalJSON := filepath.Join(dir, "eval.json")
	code, out, errOut = runCLI(t, "evaluate", model, "--csv", testRows, "--json", evalJSON)
	if code != 0 {
		t.Fatalf("evaluate --csv: exit %d: %s", code, errOut)
	}
	var ev evaluateReport
	readJSONTo(t, evalJSON, &ev)
	if ev.Accuracy != *rep.TestAccuracy || !strings.Contains(out, "(80 rows)") || !strings.Contains(out, fmt.Sprintf("Accuracy: %.4f", ev.Accuracy)) {
		t.Errorf("evaluate --csv: accuracy %v, training's test accuracy %v:\n%s", ev.Accuracy, *rep.TestAccuracy, out)
	}

	// predict --csv on new rows without the target column.
	fresh := []customer{
		{id: 1, surname: "Old", score: 600, geography: "Germany", gender: "Female", age: 75, balance: 1000},
		{id: 2, surname: "Young", score: 600, geography: "France", gender: "Male", age: 20, balance: 1000},
	}
	newRows := filepath.Join(dir, "new.csv")
	writeCustomers(t, newRows, fresh, true, nil)
	predJSON := filepath.Join(dir, "pred.json")
	code, out, errOut = runCLI(t, "predict", model, "--csv", newRows, "--json", predJSON)
	if code != 0 {
		t.Fatalf("predict --csv: exit %d: %s", code, errOut)
	}
	var preds []tablePrediction
	readJSONTo(t, predJSON, &preds)
	if len(preds) != 2 || preds[0].Line != 2 || preds[1].Line != 3 || preds[0].Name != "1" || preds[1].Name != "0" {
		t.Fatalf("predictions %+v\n%s", preds, out)
	}
	for i, pr := range preds {
		if pr.PositiveProbability == nil || pr.Probability < 0.5 || pr.Probability > 1 ||
			math.Abs(pr.Probability-map[bool]float64{true: *pr.PositiveProbability, false: 1 - *pr.PositiveProbability}[pr.Class == 1]) > 1e-6 {
			t.Errorf("prediction %d: %+v", i, pr)
		}
	}
	if !strings.Contains(out, "P(1)") || !strings.Contains(out, fmt.Sprintf("     2  1 1              %11.4f  %.4f", preds[0].Probability, *preds[0].PositiveProbability)) {
		t.Errorf("predict output:\n%s", out)
	}

	// An unknown category and a missing value, by line and column.
	bad := filepath.Join(dir, "bad.csv")
	writeCustomers(t, bad, fresh, true, func(i int, f map[string]string) {
		if i == 1 {
			f["Geography"] = "Italy"
		}
	})
	if code, _, errOut := runCLI(t, "predict", model, "--csv", bad); code != 1 || !strings.Contains(errOut, `bad.csv:3: column 4 "Geography": unknown category "Italy"`) || !strings.Contains(errOut, "--handle-unknown ignore") {
		t.Errorf("unknown category: exit %d, %q", code, errOut)
	}
	writeCustomers(t, bad, fresh, true, func(i int, f map[string]string) {
		if i == 0 {
			f["Age"] = "NA"
		}
	})
	if code, _, errOut := runCLI(t, "predict", model, "--csv", bad); code != 1 || !strings.Contains(errOut, `bad.csv:2: column 6 "Age": missing value`) {
		t.Errorf("missing value: exit %d, %q", code, errOut)
	}
	// A feature column the rows lack is named.
	if err := os.WriteFile(bad, []byte("Age,Gender\n40,Male\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "predict", model, "--csv", bad); code != 1 || !strings.Contains(errOut, `bad.csv: no column "CreditScore", which the model's feature 1 is`) {
		t.Errorf("a missing feature column: exit %d, %q", code, errOut)
	}
	// A dropped column of numbers and words mixed is read as text, not refused.
	writeCustomers(t, bad, fresh, true, func(i int, f map[string]string) {
		if i == 1 {
			f["RowNumber"] = "n/a"
		}
	})
	if code, _, errOut := runCLI(t, "predict", model, "--csv", bad); code != 0 {
		t.Errorf("a dropped column of mixed values: exit %d, %q", code, errOut)
	}

	// report --csv writes the page; the image commands refuse the model.
	page := filepath.Join(dir, "report.html")
	if code, out, errOut := runCLI(t, "report", model, "-o", page, "--csv", testRows); code != 0 || !strings.Contains(out, "wrote "+page) {
		t.Errorf("report --csv: exit %d: %s %s", code, out, errOut)
	} else if b, _ := os.ReadFile(page); !bytes.Contains(b, []byte("Metrics ("+filepath.Base(testRows)+")")) || !bytes.Contains(b, []byte("Geography (3)")) {
		t.Errorf("the report lacks the metrics of %s or the preprocessing", testRows)
	}
	for _, args := range [][]string{{"predict", model, "x.png"}, {"evaluate", model}, {"report", model, "-o", page}} {
		if code, _, errOut := runCLI(t, args...); code != 1 || !strings.Contains(errOut, "was trained on a table: give the rows to") {
			t.Errorf("tailor %v: exit %d, %q", args, code, errOut)
		}
	}

	// No command writes over the files it reads.
	before, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"predict", model, "--csv", newRows, "--json", model},
		{"predict", model, "--csv", newRows, "--json", newRows},
		{"evaluate", model, "--csv", testRows, "--json", model},
		{"report", model, "-o", model, "--csv", testRows},
		{"report", model, "-o", testRows, "--csv", testRows},
	} {
		if code, _, errOut := runCLI(t, args...); code != 1 || !strings.Contains(errOut, "which this command reads") {
			t.Errorf("tailor %v: exit %d, %q; want it refused", args, code, errOut)
		}
	}
	if after, err := os.ReadFile(model); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the model file changed (%v)", err)
	}
}

// TestTrainCSVMultiClass: a categorical target of three classes gets a
// softmax output, the classes sorted as LabelEncoder sorts them.
func TestTrainCSVMultiClass(t *testing.T) {
	dir := t.TempDir()
	data, jsonPath := filepath.Join(dir, "tiers.csv"), filepath.Join(dir, "run.json")
	rows := customers(300, 3)
	writeCustomers(t, data, rows, false, func(i int, f map[string]string) {
		age := rows[i].age
		f["Exited"] = map[bool]string{true: "young", false: map[bool]string{true: "middle", false: "senior"}[age < 60]}[age < 35]
	})
	model := filepath.Join(dir, "tiers.tailor")
	code, out, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "RowNumber,Surname", "--epochs", "200", "--quiet", "--json", jsonPath, "--out", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep dataReport
	readJSONTo(t, jsonPath, &rep)
	if !slices.Equal(rep.ClassNames, []string{"middle", "senior", "young"}) || len(rep.Confusion) != 3 || rep.TestAccuracy == nil || *rep.TestAccuracy < 0.8 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(out, "dense_2 (Dense)             (None, 3)") || !strings.Contains(out, "2 young") {
		t.Errorf("output:\n%s", out)
	}
	m, meta, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Loss().Name() != "sparse_categorical_crossentropy" || !slices.Equal(meta.ClassNames, rep.ClassNames) {
		t.Errorf("loss %s, classes %q", m.Loss().Name(), meta.ClassNames)
	}
}

// TestTrainCSVErrors: bad tables and flags get errors that say what to do.
func TestTrainCSVErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "churn.csv")
	rows := customers(60, 4)
	writeCustomers(t, data, rows, false, func(i int, f map[string]string) {
		if i == 6 {
			f["Balance"] = ""
		}
	})
	os.Mkdir(filepath.Join(dir, "figs"), 0o755)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--csv", data}, 2, "--csv needs --target COLUMN"},
		{[]string{"--csv", data, "--target", "Exited", "--dataset", "iris"}, 2, "want either --csv FILE or --dataset NAME"},
		{[]string{"--csv", data, "--target", "Churned"}, 1, `no column "Churned"`},
		{[]string{"--csv", data, "--target", "Exited", "--drop", "Surname"}, 1, `churn.csv:8: column 7 "Balance": missing value (1 in the column): train with --impute`},
		{[]string{"--csv", data, "--target", "Balance", "--drop", "Surname"}, 1, "look like a quantity to predict"},
		{[]string{"--csv", data, "--target", "Exited", "--drop", "Nope"}, 1, `no column "Nope"`},
		{[]string{"--csv", data, "--target", "Exited", "--drop", "Surname,Exited"}, 2, `--drop names "Exited", the --target column`},
		{[]string{"--csv", data, "--target", "Exited", "--scale", "some"}, 2, `--scale "some"`},
		{[]string{"--csv", data, "--target", "Exited", "--test-split", "2.5"}, 1, "--test-split 2.5"},
		{[]string{"--csv", filepath.Join(dir, "absent.csv"), "--target", "x"}, 1, "absent.csv"},
		{[]string{"--dataset", "digits"}, 1, `unknown dataset "digits"`},
		{[]string{"--dataset", "iris", "--target", "species"}, 2, "--target, --drop and --categorical are for --csv"},
		{[]string{"--csv", data, "--model", "cnn"}, 2, "flag provided but not defined: -model"},
		{[]string{"--csv", data, "--target", "Exited", "--checkpoint-dir", filepath.Join(dir, "ck")}, 2, "--checkpoint-dir is for tailor train --model (Fashion-MNIST, CIFAR-10): a table's or an image folder's training keeps no checkpoint"},
		{[]string{"--dataset", "iris", "--resume=" + filepath.Join(dir, "ck")}, 2, "--resume is for tailor train --model"},
		{[]string{"--csv", data, "--target", "Exited", "--validation-split", "1.5", "--save-split", filepath.Join(dir, "split.json")}, 2, "--validation-split 1.5: want a fraction in [0, 1)"},
		{[]string{"--csv", data, "--target", "Exited", "--validation-split", "-0.5"}, 2, "--validation-split -0.5"},
		{[]string{"--csv", data, "--target", "Exited", "--out", data}, 1, "--out: cannot write " + data + ": it is " + data + ", which this command reads"},
		{[]string{"--csv", data, "--target", "Exited", "--json", filepath.Join(dir, "r.json"), "--save-split", filepath.Join(dir, "r.json")}, 1, "--json and --save-split are both"},
		// the model was saved, then replaced by the figure
		{[]string{"--csv", data, "--target", "Exited", "--plots", filepath.Join(dir, "figs"), "--out", filepath.Join(dir, "figs", "per_class_accuracy.png")}, 1,
			"--out " + filepath.Join(dir, "figs", "per_class_accuracy.png") + ": a figure --plots " + filepath.Join(dir, "figs") + " writes"},
	}
	for _, tc := range tests {
		code, out, errOut := runCLI(t, append([]string{"train", "--epochs", "1", "--quiet"}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("tailor train %v: exit %d, %q; want exit %d and %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "split.json")); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote its --save-split (%v)", err)
	}
	// With --impute the missing balance is filled from the training rows.
	if code, _, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "Surname", "--impute", "--epochs", "2", "--quiet"); code != 0 {
		t.Errorf("--impute: exit %d: %s", code, errOut)
	}
	// tailor train --help points at the modes' own flags.
	if code, _, errOut := runCLI(t, "train", "--help"); code != 0 || !strings.Contains(errOut, "tailor train --csv FILE --target COLUMN") || !strings.Contains(errOut, "--batch-size") {
		t.Errorf("train --help: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "train", "--csv", "x", "--help"); code != 0 || !strings.Contains(errOut, "--handle-unknown") {
		t.Errorf("train --csv --help: exit %d, %q", code, errOut)
	}
}

// TestTrainCSVInterruptSaysWhatWasKept: SIGINT at any point of a table's
// run exits 130 with a line naming every file written so far; it said
// "nothing was saved" with --save-split and --initial-weights written,
// and "nothing was written" with the model saved.
func TestTrainCSVInterruptSaysWhatWasKept(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "churn.csv")
	writeCustomers(t, data, customers(60, 4), false, nil)
	outs := []struct{ flag, path string }{
		{"--save-split", filepath.Join(dir, "split.json")}, {"--initial-weights", filepath.Join(dir, "init.safetensors")},
		{"--out", filepath.Join(dir, "m.tailor")}, {"--json", filepath.Join(dir, "run.json")},
	}
	modelKept := false
	for n := int64(0); n < 40; n++ {
		for _, o := range outs {
			os.Remove(o.path)
		}
		args := []string{"train", "--csv", data, "--target", "Exited", "--drop", "Surname", "--epochs", "2", "--quiet"}
		for _, o := range outs {
			args = append(args, o.flag, o.path)
		}
		ctx := &stopAfter{Context: context.Background()}
		ctx.n.Store(n)
		code, _, errOut := runCtx(ctx, args...)
		if code == 0 {
			break
		}
		if code != 130 {
			t.Fatalf("stopped after %d checks: exit %d, %q", n, code, errOut)
		}
		for _, o := range outs {
			_, err := os.Stat(o.path)
			if named := strings.Contains(errOut, o.flag+" "+o.path); named != (err == nil) {
				t.Errorf("stopped after %d checks: %s written: %v, but the message %q names it: %v", n, o.flag, err == nil, errOut, named)
			}
		}
		modelKept = modelKept || strings.Contains(errOut, "--out ")
	}
	if !modelKept {
		t.Error("no interrupt came after the model was saved")
	}
}

// TestTrainDatasetIris trains on scikit-learn's iris table, quickly, and
// checks the model file names sklearn's features and classes.
// TestTrainDatasetOutputIsNotItsFile: an output naming the CSV file
// --dataset reads (from --sklearn-data) is refused before training, as
// one naming the --csv file is; it replaced the table with the model.
func TestTrainDatasetOutputIsNotItsFile(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(sklearn.DefaultDir, "iris.csv"))
	if err != nil {
		testenv.Missing(t, "python3-sklearn is not installed (%v): apt-get install python3-sklearn (.ci/run installs it)", err)
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, "iris.csv")
	os.WriteFile(csv, orig, 0o644)
	for _, flag := range []string{"--out", "--json", "--save-split"} {
		code, out, errOut := runCLI(t, "train", "--dataset", "iris", "--sklearn-data", dir, "--epochs", "1", "--quiet", flag, csv)
		if want := "tailor train: " + flag + ": cannot write " + csv + ": it is " + csv + ", which this command reads"; code != 1 || !strings.Contains(errOut, want) || strings.Contains(out, "Test accuracy") {
			t.Errorf("%s %s: exit %d, %q %q; want %q before training", flag, csv, code, out, errOut, want)
		}
		if b, _ := os.ReadFile(csv); !bytes.Equal(b, orig) {
			t.Fatalf("%s replaced %s", flag, csv)
		}
	}
}

func TestTrainDatasetIris(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sklearn.DefaultDir, "iris.csv")); err != nil {
		testenv.Missing(t, "python3-sklearn is not installed (%v): apt-get install python3-sklearn (.ci/run installs it)", err)
	}
	dir := t.TempDir()
	model, jsonPath, init := filepath.Join(dir, "iris.tailor"), filepath.Join(dir, "run.json"), filepath.Join(dir, "init.safetensors")
	code, out, errOut := runCLI(t, "train", "--dataset", "iris", "--stratify", "--epochs", "150", "--quiet", "--out", model, "--json", jsonPath, "--initial-weights", init)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep dataReport
	readJSONTo(t, jsonPath, &rep)
	if rep.Data != "iris" || rep.TrainExamples != 120 || rep.TestExamples != 30 || !slices.Equal(rep.ClassNames, []string{"setosa", "versicolor", "virginica"}) || *rep.TestAccuracy < 0.85 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(out, "0 setosa (50), 1 versicolor (50), 2 virginica (50)") {
		t.Errorf("output:\n%s", out)
	}
	m, meta, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if got := meta.Tabular.FeatureNames(); !slices.Equal(got, []string{"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"}) {
		t.Errorf("features %q", got)
	}
	// The initial weights are the seed's, not the trained ones.
	fresh, err := tabularANN(4, 3, 1, tabularLearningRate)
	if err != nil {
		t.Fatal(err)
	}
	if err := saving.LoadWeights(init, m); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Value.Data, fresh.Params()[i].Value.Data) {
			t.Errorf("--initial-weights: %s differs from the seed's initial weights", p.Name)
		}
	}
}

// TestHostilePipelineRefused: a model file whose tabular pipeline has
// been tampered with is refused by predict --csv, naming config.json and
// the field.
func TestHostilePipelineRefused(t *testing.T) {
	dir := t.TempDir()
	data, model := filepath.Join(dir, "churn.csv"), filepath.Join(dir, "churn.tailor")
	writeCustomers(t, data, customers(50, 5), false, nil)
	if code, _, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "RowNumber,Surname", "--epochs", "1", "--quiet", "--out", model); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "config.json" {
			// The scaler divides by zero.
			content = bytes.Replace(content, []byte(`"scale": [`), []byte(`"scale": [0, `), 1)
			content = bytes.Replace(content, []byte(`"mean": [`), []byte(`"mean": [0, `), 1)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		w.Write(content)
	}
	zw.Close()
	hostile := filepath.Join(dir, "hostile.tailor")
	if err := os.WriteFile(hostile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "predict", hostile, "--csv", data)
	if code != 1 || !strings.Contains(errOut, "config.json: tabular: pipeline") || !strings.Contains(errOut, "scale") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

// TestEvaluateCSVCategoricalTarget: a target of codes declared
// --categorical ("01", "02") is read as those codes again by evaluate
// --csv, which read it as the numbers 1 and 2 and refused every row as
// an unknown class "1"; evaluating the training file scores all of it.
func TestEvaluateCSVCategoricalTarget(t *testing.T) {
	dir := t.TempDir()
	data, model, jsonPath := filepath.Join(dir, "codes.csv"), filepath.Join(dir, "codes.tailor"), filepath.Join(dir, "eval.json")
	rows := customers(120, 5)
	writeCustomers(t, data, rows, false, func(i int, f map[string]string) { f["Exited"] = "0" + strconv.Itoa(rows[i].exited+1) })
	code, _, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--categorical", "Exited", "--drop", "RowNumber,Surname", "--epochs", "2", "--quiet", "--out", model)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "evaluate", model, "--csv", data, "--json", jsonPath)
	if code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, errOut)
	}
	var rep evaluateReport
	readJSONTo(t, jsonPath, &rep)
	total := 0
	for _, r := range rep.Confusion {
		for _, n := range r {
			total += n
		}
	}
	if len(rep.Confusion) != 2 || total != len(rows) || !strings.Contains(out, "(120 rows)") {
		t.Errorf("confusion %v (%d rows), want 2 classes and %d rows; output:\n%s", rep.Confusion, total, len(rows), out)
	}
}

// TestTrainCSVNumberSpellings: a numeric target whose classes are written
// several ways ("0", "-0", "0.0"; "1", "1.0", "1e0", as files exported by
// different tools mix them) has the two classes 0 and 1, by value, in
// training (they were refused: class "0" is not among ["-0" "1"]) and in
// evaluate --csv.
func TestTrainCSVNumberSpellings(t *testing.T) {
	dir := t.TempDir()
	data, model, jsonPath := filepath.Join(dir, "spellings.csv"), filepath.Join(dir, "s.tailor"), filepath.Join(dir, "run.json")
	rows := customers(120, 6)
	spell := [][]string{{"0", "-0", "0.0"}, {"1", "1.0", "1e0"}}
	writeCustomers(t, data, rows, false, func(i int, f map[string]string) { f["Exited"] = spell[rows[i].exited][i%3] })
	code, out, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "RowNumber,Surname", "--epochs", "2", "--quiet", "--out", model, "--json", jsonPath)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	var rep dataReport
	readJSONTo(t, jsonPath, &rep)
	if !slices.Equal(rep.ClassNames, []string{"0", "1"}) || !strings.Contains(out, "2 classes") {
		t.Errorf("classes %q, want [0 1]; output:\n%s", rep.ClassNames, out)
	}
	if code, out, errOut := runCLI(t, "evaluate", model, "--csv", data); code != 0 || !strings.Contains(out, "(120 rows)") {
		t.Errorf("evaluate --csv: exit %d, %s\n%s", code, errOut, out)
	}
}

// TestTrainCSVIdentifierColumn: an e-mail column left among the features
// of 25,000 rows would one-hot encode the 20,000 training rows to 20,000
// features (1.6 GB); train refuses it, naming the column and --drop.
func TestTrainCSVIdentifierColumn(t *testing.T) {
	data := filepath.Join(t.TempDir(), "users.csv")
	var b strings.Builder
	b.WriteString("email,age,y\n")
	for i := range 25_000 {
		fmt.Fprintf(&b, "user%d@example.com,%d,%d\n", i, 20+i%50, i%2)
	}
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "train", "--csv", data, "--target", "y", "--epochs", "1", "--quiet")
	if want := `column "email" alone gives 20000 one-hot features`; code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "on the command line, --drop the column") {
		t.Errorf("exit %d, %q %q; want exit 1 naming the column and --drop", code, out, errOut)
	}
}
