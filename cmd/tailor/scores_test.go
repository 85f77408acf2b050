package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A class with no examples has no accuracy: NaN, written "n/a" and, in
// JSON, null. It used to be 0, which reads as every example wrong.
func TestEvaluatePerClassWithoutExamples(t *testing.T) {
	acc := perClassAccuracy([]int32{0, 0, 2, 2}, []int{0, 1, 2, 2}, 3)
	if acc[0] != 0.5 || !math.IsNaN(acc[1]) || acc[2] != 1 {
		t.Fatalf("perClassAccuracy = %v, want [0.5 NaN 1]", acc)
	}
	if got := formatAccuracy(acc[1]); got != "n/a" {
		t.Errorf("formatAccuracy(NaN) = %q, want n/a", got)
	}
	if got := formatAccuracy(acc[0]); got != "0.5000" {
		t.Errorf("formatAccuracy(0.5) = %q, want 0.5000", got)
	}
	b, err := json.Marshal(evaluateReport{PerClassAccuracy: acc})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"per_class_accuracy":[0.5,null,1]`; !strings.Contains(string(b), want) {
		t.Errorf("JSON %s lacks %s", b, want)
	}
	if b, err := json.Marshal(accuracies(nil)); err != nil || string(b) != "null" {
		t.Errorf("no accuracies: %s, %v; want null", b, err)
	}
}

// evaluate --csv on rows of one class only prints "n/a" for the other
// class and writes null for it in --json; report --csv shows "n/a" too.
func TestEvaluateCSVClassWithoutExamples(t *testing.T) {
	dir := t.TempDir()
	data, model := filepath.Join(dir, "churn.csv"), filepath.Join(dir, "churn.tailor")
	rows := customers(200, 1)
	writeCustomers(t, data, rows, false, nil)
	if code, out, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "RowNumber,Surname",
		"--epochs", "2", "--seed", "2", "--quiet", "--out", model); code != 0 {
		t.Fatalf("train: exit %d: %s\n%s", code, errOut, out)
	}
	var stayed []customer
	for _, c := range rows {
		if c.exited == 0 {
			stayed = append(stayed, c)
		}
	}
	testRows, evalJSON := filepath.Join(dir, "stayed.csv"), filepath.Join(dir, "eval.json")
	writeCustomers(t, testRows, stayed, false, nil)
	code, out, errOut := runCLI(t, "evaluate", model, "--csv", testRows, "--json", evalJSON)
	if code != 0 {
		t.Fatalf("evaluate --csv: exit %d: %s", code, errOut)
	}
	if want := "\n  1 1            n/a\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	var ev struct {
		PerClassAccuracy []*float64 `json:"per_class_accuracy"`
	}
	readJSONTo(t, evalJSON, &ev)
	if len(ev.PerClassAccuracy) != 2 || ev.PerClassAccuracy[0] == nil || ev.PerClassAccuracy[1] != nil {
		t.Errorf("per_class_accuracy %v, want a number for class 0 and null for class 1", ev.PerClassAccuracy)
	}
	page := filepath.Join(dir, "report.html")
	if code, _, errOut := runCLI(t, "report", model, "-o", page, "--csv", testRows); code != 0 {
		t.Fatalf("report --csv: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<td class="text">1</td><td>n/a</td>`; !strings.Contains(string(b), want) {
		t.Errorf("report lacks %q", want)
	}
}

// evaluate --csv --json names the classes its per-class accuracies and
// confusion matrix are indexed by (class_names was null, so a reader
// could not tell which row was which class: a text target's classes are
// sorted, not in the order of the file), and each row of the matrix
// counts that class's rows.
func TestEvaluateCSVJSONClassNames(t *testing.T) {
	dir := t.TempDir()
	data, model, evalJSON := filepath.Join(dir, "churn.csv"), filepath.Join(dir, "churn.tailor"), filepath.Join(dir, "eval.json")
	rows := customers(120, 3)
	label := []string{"stayed", "left"}
	writeCustomers(t, data, rows, false, func(i int, f map[string]string) { f["Exited"] = label[rows[i].exited] })
	if code, out, errOut := runCLI(t, "train", "--csv", data, "--target", "Exited", "--drop", "RowNumber,Surname",
		"--epochs", "1", "--quiet", "--out", model); code != 0 {
		t.Fatalf("train: exit %d: %s\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLI(t, "evaluate", model, "--csv", data, "--json", evalJSON); code != 0 {
		t.Fatalf("evaluate --csv: exit %d: %s", code, errOut)
	}
	var rep evaluateReport
	readJSONTo(t, evalJSON, &rep)
	if len(rep.ClassNames) != 2 || rep.ClassNames[0] != "left" || rep.ClassNames[1] != "stayed" {
		t.Fatalf("class_names %q, want [left stayed]", rep.ClassNames)
	}
	for i, name := range rep.ClassNames {
		want, got := 0, rep.Confusion[i][0]+rep.Confusion[i][1]
		for _, c := range rows {
			if label[c.exited] == name {
				want++
			}
		}
		if got != want {
			t.Errorf("confusion row %d (%s) counts %d rows, want %d", i, name, got, want)
		}
	}
}

// evaluate --split train names the split it scored in the per-class
// accuracies' heading (it printed "Per-class test accuracy" whatever the
// split), and each class's line sums the confusion matrix's row.
func TestEvaluateTrainSplitPerClassHeading(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	model := filepath.Join(t.TempDir(), "m.tailor")
	untrained(t, model)
	code, out, errOut := runCLI(t, "evaluate", model, "--split", "train")
	if code != 0 {
		t.Fatalf("evaluate --split train: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "on the train split (60000 images)") || !strings.Contains(out, "\nPer-class train accuracy:\n") || strings.Contains(out, "test") {
		t.Errorf("evaluate --split train output:\n%s", out)
	}
	code, out, errOut = runCLI(t, "evaluate", model)
	if code != 0 || !strings.Contains(out, "\nPer-class test accuracy:\n") {
		t.Errorf("evaluate: exit %d, %s\n%s", code, errOut, out)
	}
}
