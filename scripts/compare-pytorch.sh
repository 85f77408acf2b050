#!/usr/bin/env bash
# Runs Tailor and the PyTorch reference (../shared/peers/pytorch, PyTorch +
# OpenBLAS/oneDNN) one right after the other on this machine, with the same
# models, batch size and epochs, and prints every figure of issue 12's
# acceptance with its ratio:
#
#   - the machine: CPU vendor and model, what a dtype policy "auto" resolves
#     to here and why, and how subnormals are treated;
#   - SGEMM 1024³ GFLOP/s on 1 and 2 threads (Tailor ≥ 1.0× OpenBLAS);
#   - the tutorial MLP, batch 32, 10 epochs: each epoch's seconds, the
#     fastest against PyTorch's fastest (≤ 0.25×), the last three against
#     the first three (≤ 1.15×, each epoch's fastest over the rounds), and
#     predict over the 10k test images;
#   - the reference CNN, batch 32: s/epoch (≤ 0.55× PyTorch's) and predict
#     10k (≥ 3× faster).
#
#   scripts/compare-pytorch.sh            # all of it (about 6 minutes on 2 cores)
#   scripts/compare-pytorch.sh --no-cnn   # skip the (slower) CNN comparison
#
# Tailor's figures come from `tailor bench --pytorch DIR`, which runs the
# reference itself right after Tailor on the same work. The pair runs
# ROUNDS times (default 2), alternating, and each side's best figure
# counts, which evens out a machine that other work disturbs now and then.
# The JSON files are kept in $OUT (default: a temporary directory, removed
# at the end).
# Set-up once, as root: bash ../shared/peers/pytorch/setup.sh
# Keep the machine otherwise idle while it runs: the figures are wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
peer=${PYTORCH_PEER:-../shared/peers/pytorch}
cnn=1
mlp_epochs=${MLP_EPOCHS:-10}
rounds=${ROUNDS:-2}
[ "${1:-}" = "--no-cnn" ] && cnn=0
[ -f "$peer/run.sh" ] || { echo "no PyTorch reference at $peer (set PYTORCH_PEER)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to print the summary" >&2; exit 2; }

if [ -n "${OUT:-}" ]; then
	out=$OUT
	mkdir -p "$out"
else
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
go build -o "$out/tailor" ./cmd/tailor

for r in $(seq 1 "$rounds"); do
	echo "== round $r of $rounds: SGEMM, tutorial MLP ($mlp_epochs epochs, batch 32), Tailor then PyTorch =="
	"$out/tailor" bench --model mlp --batch-sizes 32 --epochs "$mlp_epochs" --pytorch "$peer" --json "$out/mlp-$r.json"
	if [ "$cnn" = 1 ]; then
		echo
		echo "== round $r of $rounds: reference CNN (1 epoch, batch 32), Tailor then PyTorch =="
		"$out/tailor" bench --model ref-cnn --batch-sizes 32 --epochs 1 --skip-sgemm --pytorch "$peer" --json "$out/cnn-$r.json"
	fi
	echo
done

python3 - "$out" "$cnn" "$rounds" <<'PY'
import json, os, sys
out, cnn, rounds = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
load = lambda n: json.load(open(os.path.join(out, n)))
mlps = [load(f"mlp-{r}.json") for r in range(1, rounds + 1)]
cnns = [load(f"cnn-{r}.json") for r in range(1, rounds + 1)] if cnn else []

def best(reports):
    """Each figure's best over the rounds, for each side: the highest
    GFLOP/s, the lowest seconds."""
    by = {}
    for rep in reports:
        for r in rep["pytorch"]["ratios"]:
            w = r["what"]
            pick = max if "GFLOP/s" in w else min
            t, p = by.get(w, (None, None))
            by[w] = (r["tailor"] if t is None else pick(t, r["tailor"]), r["pytorch"] if p is None else pick(p, r["pytorch"]))
    return by
m = min(mlps, key=lambda rep: rep["train"][0]["seconds_per_epoch"])
print()
print(f"machine: {m['cpu']} ({m['cpu_vendor']} family {m['cpu_family']:#x} model {m['cpu_model_id']:#x}"
      f"{', ' + m['microarch'] if m.get('microarch') else ''}), {m['cores']} cores, Tailor SIMD {m['simd']}")
print(f"dtype auto: {m['dtype_auto']['policy']} ({m['dtype_auto']['reason']})")
print(f"subnormals: {'flushed' if m['subnormals']['flushed'] else 'kept'} ({m['subnormals']['rule']})")
pt = m["pytorch"].get("train") or {}
print(f"PyTorch: OpenBLAS kernel {pt.get('openblas', {}).get('corename', '?')}, torch {pt.get('torch', '?')}")
print()
checks = []
def row(what, t, p, speedup, goal=None, ok=None):
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"{what:52} {t:10.4f} {p:10.4f} {speedup:8.2f}x{('  (goal ' + goal + ')') if goal else ''}{mark}")
    if ok is not None:
        checks.append(ok)
print(f"best of {rounds} alternated round(s) for each side")
print(f"{'':52} {'Tailor':>10} {'PyTorch':>10} {'speedup':>9}")
for w, (t, p) in best(mlps).items():
    if w.startswith("SGEMM 1024"):
        row(w, t, p, t / p, "≥ 1.0x", t >= p)
    elif "s/epoch" in w:
        # Tailor's time over PyTorch's is 1/speedup; the goal is ≤ 0.25
        row(w, t, p, p / t, f"time {t / p:.3f}x, ≤ 0.25x", t <= 0.25 * p)
    else:
        row(w, t, p, p / t)
# Every round trains the same weights from the same seed, so epoch i does
# the same work in each: its fastest time over the rounds is the one least
# disturbed by other work on the machine, and the slowdown check compares
# those (each round's epochs are printed too).
rounds_ep = [rep["train"][0]["epoch_seconds"] for rep in mlps]
for r, e in enumerate(rounds_ep, 1):
    print(f"MLP epochs (s), round {r}: {' '.join(f'{s:.3f}' for s in e)}")
ep = [min(col) for col in zip(*rounds_ep)]
print(f"MLP epochs (s), each one's fastest: {' '.join(f'{s:.3f}' for s in ep)}")
if len(ep) >= 6:
    first, last = sum(ep[:3]) / 3, sum(ep[-3:]) / 3
    ok = last <= 1.15 * first
    checks.append(ok)
    print(f"MLP last three epochs over the first three: {last / first:.3f} (goal ≤ 1.15){'  ok' if ok else '  MISSED'}")
print(f"MLP test accuracy after {len(ep)} epochs (Tailor): {m['train'][0]['test_accuracy']:.4f}")
if cnn:
    print()
    for w, (t, p) in best(cnns).items():
        if "s/epoch" in w:
            row(w, t, p, p / t, f"time {t / p:.3f}x, ≤ 0.55x", t <= 0.55 * p)
        elif "predict" in w:
            row(w, t, p, p / t, "≥ 3x", p >= 3 * t)
    print(f"ref CNN test accuracy after 1 epoch (Tailor): {cnns[0]['train'][0]['test_accuracy']:.4f}")
print()
print(f"acceptance: {sum(checks)} of {len(checks)} figures met")
PY
