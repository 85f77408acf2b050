#!/usr/bin/python3
"""Scikit-learn on exactly the split, and from exactly the weights, Tailor used.

    scripts/compare-sklearn.sh                      # runs everything below
    /usr/bin/python3 scripts/compare-sklearn.py DIR [--json out.json] [--markdown]

DIR holds, for each dataset and seed, what `tailor train --dataset NAME --seed S`
wrote with --json (DIR/NAME-S.json: Tailor's test accuracy and recipe),
--save-split (DIR/NAME-S.split.json: the rows of the training and test sets)
and --initial-weights (DIR/NAME-S.init.safetensors: the weights Tailor started
from). For each, this script loads the dataset with sklearn.datasets, takes the
SAME training and test rows (read, not redrawn), standardises the features with
a StandardScaler fitted on the training rows (as Tailor's pipeline does), and
reports the test accuracy of:

  tailor     Tailor's, from the --json file
  mlp        MLPClassifier with Tailor's network and recipe: two hidden layers
             of 6 ReLU units, a logistic (2 classes) or softmax output, Adam with
             Tailor's settings (learning rate, β1 0.9, β2 0.999, ε 1e-7), the same
             batch size and number of epochs, no L2 penalty (alpha=0, as Keras),
             no early stopping; float32 arithmetic as Tailor's; its own initial
             weights (Glorot-uniform, random_state = the seed)
  mlp-init   the same MLPClassifier started from Tailor's initial weights, so
             that only the batch order and rounding differ from Tailor's run
  logreg     LogisticRegression(max_iter=1000), for reference

and, to show how far apart two runs fall by nature on test sets this small,
how often mlp and the same MLPClassifier with another random_state (the seed
plus 1000), on the same split, differ by more than 1.5 points.

Needs only Debian's python3 and python3-sklearn (apt-get install python3-sklearn).
"""
import argparse
import glob
import json
import os
import re
import struct
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
COLUMNS = ["tailor", "mlp", "mlp-init", "logreg"]


def read_safetensors(path):
    """The F32 tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {t['dtype']}, want F32")
        lo, hi = t["data_offsets"]
        out[name] = np.frombuffer(b[8 + n + lo:8 + n + hi], dtype="<f4").reshape(t["shape"])
    return out


class FromWeights(MLPClassifier):
    """An MLPClassifier whose initial weights are given (init_weights: a list of
    (kernel, bias) pairs, kernel (fan_in, fan_out) as in Keras and sklearn)."""

    def _initialize(self, y, layer_units, dtype):
        super()._initialize(y, layer_units, dtype)
        shapes = [c.shape for c in self.coefs_]
        if [k.shape for k, _ in self.init_weights] != shapes:
            sys.exit(f"Tailor's weights have shapes {[k.shape for k, _ in self.init_weights]}, sklearn's {shapes}")
        self.coefs_ = [np.array(k, dtype=dtype) for k, _ in self.init_weights]
        self.intercepts_ = [np.array(b, dtype=dtype) for _, b in self.init_weights]


def mlp(cls, rep, seed):
    epochs = len(rep["epochs"])
    return cls(hidden_layer_sizes=(6, 6), activation="relu", solver="adam",
               learning_rate_init=rep["learning_rate"], beta_1=0.9, beta_2=0.999, epsilon=1e-7,
               batch_size=rep["batch_size"], max_iter=epochs, alpha=0.0, shuffle=True,
               n_iter_no_change=epochs + 1, tol=0.0, random_state=seed)


def run(stem):
    with open(stem + ".json") as f:
        rep = json.load(f)
    with open(stem + ".split.json") as f:
        split = json.load(f)
    name = split.get("dataset")
    if name not in LOADERS:
        sys.exit(f"{stem}.split.json: dataset {name!r}, want one of {sorted(LOADERS)}")
    x, y = LOADERS[name](return_X_y=True)
    train, test = np.asarray(split["train"]), np.asarray(split["test"])
    if len(set(train) | set(test)) != len(train) + len(test) or max(train.max(), test.max()) >= len(y):
        sys.exit(f"{stem}.split.json: the split's rows overlap or are out of range")
    scaler = StandardScaler().fit(x[train])
    xtr = scaler.transform(x[train]).astype(np.float32)
    xte = scaler.transform(x[test]).astype(np.float32)
    w = read_safetensors(stem + ".init.safetensors")
    layers = sorted({k.split("/")[0] for k in w}, key=lambda s: (len(s), s))  # dense, dense_1, dense_2
    seed = split["seed"]
    out = {"dataset": name, "seed": seed, "n_train": len(train), "n_test": len(test), "tailor": rep["test_accuracy"],
           "epochs": len(rep["epochs"]), "batch_size": rep["batch_size"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = {"mlp": mlp(MLPClassifier, rep, seed), "mlp-init": mlp(FromWeights, rep, seed),
                  "logreg": LogisticRegression(max_iter=1000), "mlp-reseeded": mlp(MLPClassifier, rep, seed + 1000)}
        models["mlp-init"].init_weights = [(w[l + "/kernel"], w[l + "/bias"]) for l in layers]
        for key, m in models.items():
            m.fit(xtr, y[train])
            out[key] = float((m.predict(xte) == y[test]).mean())
    return out


def stems(paths):
    out = []
    for p in paths:
        files = sorted(glob.glob(os.path.join(p, "*.split.json"))) if os.path.isdir(p) else [p]
        out += [f[:-len(".split.json")] for f in files]

    def key(s):
        m = re.match(r"(.*)-(\d+)$", os.path.basename(s))
        return (m.group(1), int(m.group(2))) if m else (s, 0)
    return sorted(out, key=key)


def pt(v):
    return f"{100 * v:6.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="directories of, or individual, NAME-SEED.split.json files")
    ap.add_argument("--per-seed", type=int, default=3, help="show this many seeds of each dataset one by one")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    args = ap.parse_args()
    found = stems(args.paths)
    if not found:
        sys.exit("no NAME-SEED.split.json files found")
    rows = [run(s) for s in found]
    by = {}
    for r in rows:
        by.setdefault(r["dataset"], []).append(r)

    md = args.markdown
    head = ["dataset", "seed", "test rows"] + [c + " %" for c in COLUMNS] + ["tailor − mlp", "tailor − mlp-init"]
    if md:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    else:
        print(f"{'dataset':<14} {'seed':>5} {'test':>5}  " + "  ".join(f"{c:>8}" for c in COLUMNS) + "   t−mlp  t−init (points)")
    for name, rs in by.items():
        for r in rs[:args.per_seed]:
            d1, d2 = 100 * (r["tailor"] - r["mlp"]), 100 * (r["tailor"] - r["mlp-init"])
            if md:
                print(f"| {name} | {r['seed']} | {r['n_test']} | " + " | ".join(f"{100 * r[c]:.2f}" for c in COLUMNS)
                      + f" | {d1:+.2f} | {d2:+.2f} |")
            else:
                print(f"{name:<14} {r['seed']:>5} {r['n_test']:>5}  " + "  ".join(f"{pt(r[c]):>8}" for c in COLUMNS)
                      + f"  {d1:+6.2f}  {d2:+6.2f}")
        for k in sorted({min(args.per_seed, len(rs)), len(rs)}):
            sub = rs[:k]
            means = {c: np.mean([r[c] for r in sub]) for c in COLUMNS}
            sds = {c: np.std([r[c] for r in sub], ddof=1) if k > 1 else 0.0 for c in COLUMNS}
            d1, d2 = 100 * (means["tailor"] - means["mlp"]), 100 * (means["tailor"] - means["mlp-init"])
            label = f"mean of {k}"
            if md:
                print(f"| {name} | **{label}** | {sub[0]['n_test']} | "
                      + " | ".join(f"**{100 * means[c]:.2f}** ± {100 * sds[c]:.2f}" for c in COLUMNS)
                      + f" | **{d1:+.2f}** | **{d2:+.2f}** |")
            else:
                print(f"{name:<14} {label:>11}  " + "  ".join(f"{pt(means[c]):>8}" for c in COLUMNS)
                      + f"  {d1:+6.2f}  {d2:+6.2f}   (sd " + " ".join(f"{100 * sds[c]:.2f}" for c in COLUMNS) + ")")
    print()
    for name, rs in by.items():
        n = rs[0]["n_test"]
        # How far apart per-seed figures fall by nature: sklearn's MLP against
        # itself with other initial weights, on the same split.
        apart = sum(abs(r["mlp"] - r["mlp-reseeded"]) > 0.015 + 1e-9 for r in rs)
        worst = max(abs(r["mlp"] - r["mlp-reseeded"]) for r in rs)
        same = sum(abs(r["tailor"] - r["mlp-init"]) < 1e-9 for r in rs)
        print(f"{name}: {rs[0]['n_train']} training rows, {n} test rows (one is {100 / n:.2f} points), "
              f"{rs[0]['epochs']} epochs of batch {rs[0]['batch_size']}, {len(rs)} seeds. "
              f"tailor = mlp-init on {same} of {len(rs)} seeds. "
              f"mlp against itself with other initial weights (random_state + 1000, same split): "
              f"more than 1.5 points apart on {apart} of {len(rs)} seeds, by up to {100 * worst:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
