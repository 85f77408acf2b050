#!/usr/bin/python3
"""Scikit-learn on exactly the split Tailor used, side by side with Tailor.

    go run ./scripts/comparesklearn -out /tmp/cmp     # Tailor: splits + accuracies
    /usr/bin/python3 scripts/compare-sklearn.py /tmp/cmp [--json out.json]

Reads every <dataset>-<seed>.json that scripts/comparesklearn wrote (or the
files named), loads the dataset with sklearn.datasets, takes the SAME
training and test indices (read from the file, not redrawn), standardises
with a StandardScaler fitted on the training set, and reports test accuracy
of:

  logreg     LogisticRegression(max_iter=1000), sklearn's defaults otherwise
  mlp-6-6    MLPClassifier with Tailor's network and recipe: two hidden layers
             of 6 ReLU units, Adam (learning rate 0.001), batches of 32,
             100 epochs, no L2 penalty (alpha=0, as Keras), no early stop
  mlp-100    MLPClassifier with sklearn's defaults (one hidden layer of 100,
             up to 200 epochs, alpha=1e-4), for reference

next to Tailor's test accuracy from the file. The MLPs are seeded with the
file's seed (random_state), so each row is reproducible, but sklearn's and
Tailor's random draws (initial weights, batch order) differ.

Needs only Debian's python3 and python3-sklearn (apt-get install python3-sklearn).
"""
import argparse
import glob
import json
import os
import sys
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

LOADERS = {
    "breast-cancer": datasets.load_breast_cancer,
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
}


def models(seed, epochs, batch):
    return {
        "logreg": LogisticRegression(max_iter=1000),
        "mlp-6-6": MLPClassifier(hidden_layer_sizes=(6, 6), activation="relu", solver="adam",
                                 learning_rate_init=0.001, batch_size=batch, max_iter=epochs,
                                 alpha=0.0, n_iter_no_change=epochs + 1, random_state=seed),
        "mlp-100": MLPClassifier(random_state=seed),
    }


def run(path):
    with open(path) as f:
        r = json.load(f)
    name = r["dataset"]
    if name not in LOADERS:
        sys.exit(f"{path}: unknown dataset {name!r}")
    x, y = LOADERS[name](return_X_y=True)
    train, test = np.asarray(r["train"]), np.asarray(r["test"])
    if len(set(train) | set(test)) != len(train) + len(test) or max(train.max(), test.max()) >= len(y):
        sys.exit(f"{path}: the split's indices overlap or are out of range")
    scaler = StandardScaler().fit(x[train])
    xtr, xte = scaler.transform(x[train]), scaler.transform(x[test])
    out = {"dataset": name, "seed": r["seed"], "n_train": len(train), "n_test": len(test),
           "tailor": r["tailor_test_accuracy"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for key, m in models(r["seed"], r["epochs"], r["batch_size"]).items():
            m.fit(xtr, y[train])
            out[key] = float((m.predict(xte) == y[test]).mean())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="directories of, or individual, <dataset>-<seed>.json files")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    files = []
    for p in args.paths:
        files += sorted(glob.glob(os.path.join(p, "*.json"))) if os.path.isdir(p) else [p]
    if not files:
        sys.exit("no split files found")
    rows = [run(f) for f in files]
    cols = ["tailor", "mlp-6-6", "logreg", "mlp-100"]
    print(f"{'dataset':<14} {'seed':>4} {'test':>5}  " + "  ".join(f"{c:>8}" for c in cols) + "  tailor−mlp-6-6")
    for r in rows:
        print(f"{r['dataset']:<14} {r['seed']:>4} {r['n_test']:>5}  " + "  ".join(f"{r[c]:8.4f}" for c in cols)
              + f"  {100 * (r['tailor'] - r['mlp-6-6']):+6.2f} pt")
    by = {}
    for r in rows:
        by.setdefault(r["dataset"], []).append(r)
    print("mean over seeds:")
    for name, rs in by.items():
        print(f"{name:<14} {len(rs):>4} {'':>5}  " + "  ".join(f"{np.mean([r[c] for r in rs]):8.4f}" for c in cols))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
