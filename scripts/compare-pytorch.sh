#!/usr/bin/env bash
# Runs Tailor and the PyTorch reference (../shared/peers/pytorch, PyTorch +
# OpenBLAS) one right after the other on this machine, with the same models,
# batch size and epochs, and prints both figures and their ratio.
#
#   scripts/compare-pytorch.sh            # SGEMM, tutorial MLP, reference CNN
#   scripts/compare-pytorch.sh --no-cnn   # skip the (slower) CNN comparison
#
# Set-up once, as root: bash ../shared/peers/pytorch/setup.sh
# Keep the machine otherwise idle while it runs: the figures are wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
peer=${PYTORCH_PEER:-../shared/peers/pytorch}
cnn=1
mlp_epochs=${MLP_EPOCHS:-10}
ref_mlp_epochs=${REF_MLP_EPOCHS:-3}
[ "${1:-}" = "--no-cnn" ] && cnn=0
[ -x "$peer/run.sh" ] || [ -f "$peer/run.sh" ] || { echo "no PyTorch reference at $peer" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/tailor" ./cmd/tailor

echo "== SGEMM 1024³ =="
"$out/tailor" bench --skip-train --json "$out/t-gemm.json" >/dev/null
bash "$peer/run.sh" --mode gemm --gemm-sizes 1024 --gemm-threads 1 2 | grep '^JSON ' | sed 's/^JSON //' >"$out/p-gemm.json"

echo "== tutorial MLP, batch 32 =="
"$out/tailor" train --model mlp --epochs "$mlp_epochs" --batch-size 32 --seed 1 --quiet --json "$out/t-mlp.json" >/dev/null
"$out/tailor" bench --model mlp --batch-sizes 32 --json "$out/t-mlp-bench.json" >/dev/null
for th in 1 2; do
	bash "$peer/run.sh" --model mlp --epochs "$ref_mlp_epochs" --threads "$th" | grep '^JSON ' | sed 's/^JSON //' >"$out/p-mlp-$th.json"
done

if [ "$cnn" = 1 ]; then
	echo "== reference CNN, batch 32 =="
	"$out/tailor" bench --model ref-cnn --batch-sizes 32 --json "$out/t-cnn.json" >/dev/null
	bash "$peer/run.sh" --model cnn --epochs 1 --threads 2 | grep '^JSON ' | sed 's/^JSON //' >"$out/p-cnn-2.json"
fi

python3 - "$out" "$cnn" <<'PY'
import json, sys, os
out, cnn = sys.argv[1], sys.argv[2] == "1"
load = lambda n: json.load(open(os.path.join(out, n)))
tg, pg = load("t-gemm.json"), load("p-gemm.json")
print()
print(f"machine: {tg['cpu']}, {tg['cores']} cores, Tailor SIMD {tg['simd']}")
print(f"{'what':44} {'Tailor':>10} {'PyTorch':>10} {'ratio':>8}")
def row(what, t, p, better_high):
    r = t / p if better_high else p / t
    print(f"{what:44} {t:10.3f} {p:10.3f} {r:7.2f}x")
for th in (1, 2):
    t = max(g["gflops"] for g in tg["sgemm"] if g["name"] == "square 1024" and g["threads"] == th)
    p = max(g["gflops_max"] for g in pg["results"] if g["n"] == 1024 and g["threads"] == th)
    row(f"SGEMM 1024³ GFLOP/s, {th} thread(s) (Tailor/PyTorch)", t, p, True)
tm, tb = load("t-mlp.json"), load("t-mlp-bench.json")
pm = {th: load(f"p-mlp-{th}.json") for th in (1, 2)}
best_p = min(pm[th]["epoch_seconds_min"] for th in (1, 2))
t_epoch = min(e["seconds"] for e in tm["epochs"])
row("MLP s/epoch, batch 32 (PyTorch best/Tailor)", t_epoch, best_p, False)
row("MLP predict 10k s (PyTorch/Tailor)", tb["predict"]["seconds"], min(pm[th]["predict_seconds_min"] for th in (1, 2)), False)
print(f"{'MLP test accuracy after ' + str(len(tm['epochs'])) + ' epochs (Tailor)':44} {tm['test_accuracy']:10.4f}")
if cnn:
    tc, pc = load("t-cnn.json"), load("p-cnn-2.json")
    row("ref CNN s/epoch, batch 32 (PyTorch 2 thr/Tailor)", tc["train"][0]["seconds_per_epoch"], pc["epoch_seconds_min"], False)
    row("ref CNN predict 10k s (PyTorch/Tailor)", tc["predict"]["seconds"], pc["predict_seconds_min"], False)
PY
