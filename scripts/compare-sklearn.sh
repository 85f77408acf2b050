#!/bin/sh
# Tailor against scikit-learn on scikit-learn's own tables, on the same
# splits and from the same initial weights:
#
#   scripts/compare-sklearn.sh [DIR]        (or: make compare-sklearn)
#
# For breast-cancer, iris and wine and seeds 1 to 10 (SEEDS="1 2 3" for
# fewer), runs
#
#   tailor train --dataset NAME --seed S --stratify --json DIR/NAME-S.json \
#     --save-split DIR/NAME-S.split.json --initial-weights DIR/NAME-S.init.safetensors
#
# with the default recipe (any extra flags in TAILOR_FLAGS, e.g.
# TAILOR_FLAGS="--epochs 100"), then scripts/compare-sklearn.py, which
# trains scikit-learn's MLPClassifier and LogisticRegression on exactly the
# same rows and prints the accuracies side by side: the first 3 seeds one
# by one, and the means over 3 and over all seeds. Needs Go and Debian's
# python3-sklearn.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-out/compare-sklearn}
seeds=${SEEDS:-1 2 3 4 5 6 7 8 9 10}
go build -o bin/tailor ./cmd/tailor
mkdir -p "$dir"
for name in breast-cancer iris wine; do
	for s in $seeds; do
		# shellcheck disable=SC2086 # TAILOR_FLAGS is a list of flags
		bin/tailor train --dataset "$name" --seed "$s" --stratify --quiet ${TAILOR_FLAGS:-} \
			--json "$dir/$name-$s.json" --save-split "$dir/$name-$s.split.json" \
			--initial-weights "$dir/$name-$s.init.safetensors" >"$dir/$name-$s.log"
	done
done
grep -m1 'model name' /proc/cpuinfo || true
/usr/bin/python3 scripts/compare-sklearn.py "$dir" --json "$dir/results.json" ${MARKDOWN:+--markdown}
