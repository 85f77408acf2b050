#!/usr/bin/env bash
# Times SGEMM at the models' own shapes — the products the MLP and the
# CNNs train and predict with, and the squares — in Tailor (`tailor bench
# --skip-train`) and in PyTorch's torch.mm on OpenBLAS, one right after the
# other, on 1 and 2 threads, and prints each shape's ratio:
#
#   scripts/compare-sgemm-shapes.sh
#
# The shapes, and which operand each product reads transposed, come from
# tailor bench's JSON, so both sides time the same products. PyTorch runs
# as ../shared/peers/pytorch/run.sh runs it: its OpenBLAS (OpenMP build)
# with the newest kernel the CPU's flags support, the choice run.sh makes,
# made the same way here (PEER_OPENBLAS_CORETYPE chooses one). Each side's
# best of five timings of at least 0.3 s counts.
# Set-up once, as root: bash ../shared/peers/pytorch/setup.sh
# Keep the machine otherwise idle while it runs: the figures are wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${PYTORCH_REF_DIR:-/opt/pytorch-ref}
lib="$ref/root/usr/lib/x86_64-linux-gnu/openblas-openmp"
[ -d "$lib" ] || { echo "no PyTorch reference at $ref: run ../shared/peers/pytorch/setup.sh (as root)" >&2; exit 2; }
core=${PEER_OPENBLAS_CORETYPE:-}
if [ -z "$core" ]; then
	flags=$(grep -m1 '^flags' /proc/cpuinfo)
	case "$flags" in
	*avx512_bf16*) core=Cooperlake ;;
	*avx512f*) core=SkylakeX ;;
	*avx2*) core=Haswell ;;
	esac
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -o "$out/tailor" ./cmd/tailor
"$out/tailor" bench --skip-train --json "$out/tailor.json" >/dev/null
grep -m1 'model name' /proc/cpuinfo
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${core:+OPENBLAS_CORETYPE=$core} LD_LIBRARY_PATH="$lib" \
	/usr/bin/python3 - "$out/tailor.json" "$core" <<'PY'
import json, sys, time
import torch

report = json.load(open(sys.argv[1]))
print(f"OpenBLAS kernel {sys.argv[2] or 'default'}, torch {torch.__version__}")
print(f"{'product':24s} {'m×n×k':16s} {'threads':>7s} {'Tailor':>8s} {'PyTorch':>8s} {'ratio':>6s}")
worst = None
for r in report["sgemm"]:
    m, n, k = (int(v) for v in r["shape"].split("×"))
    torch.set_num_threads(r["threads"])
    a = torch.randn(k, m) if r.get("trans_a") else torch.randn(m, k)
    b = torch.randn(n, k) if r.get("trans_b") else torch.randn(k, n)
    a_op = a.t() if r.get("trans_a") else a
    b_op = b.t() if r.get("trans_b") else b
    c = torch.empty(m, n)
    torch.mm(a_op, b_op, out=c)
    t = time.perf_counter()
    torch.mm(a_op, b_op, out=c)
    reps = max(1, int(0.3 / max(time.perf_counter() - t, 1e-7)))
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            torch.mm(a_op, b_op, out=c)
        best = min(best, (time.perf_counter() - t) / reps)
    peer = 2.0 * m * n * k / best / 1e9
    ratio = r["gflops"] / peer
    worst = ratio if worst is None else min(worst, ratio)
    print(f"{r['name']:24s} {r['shape']:16s} {r['threads']:7d} {r['gflops']:8.1f} {peer:8.1f} {ratio:5.2f}×")
print(f"lowest ratio, Tailor's GFLOP/s over PyTorch's: {worst:.2f}×")
PY
