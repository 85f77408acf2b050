#!/usr/bin/env bash
# Feeds tailor the hostile inputs of issue 14 and measures each run's peak
# resident memory with /usr/bin/time -v: every one must end (in a clear
# error, or in success where the input is merely large) within 300 MB.
#
#   scripts/hostile-inputs.sh        # prints a table; exits 1 if a run fails the bound
#
# The files are generated (scripts/hostile-inputs) into a temporary
# directory and removed afterwards. predict on images needs no dataset;
# the --data row reads none either.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
limit_kb=$((300 * 1000))

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/tailor" ./cmd/tailor
go run ./scripts/hostile-inputs "$dir/in"
in=$dir/in
fifo=$dir/fifo
mkfifo "$fifo"

fail=0
trial() { # name, expected exit status, command...
	local name=$1 want=$2
	shift 2
	set +e
	/usr/bin/time -v -o "$dir/time" "$dir/tailor" "$@" >"$dir/out" 2>"$dir/err"
	local code=$?
	set -e
	local rss
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time")
	printf '%-52s %5s %6d MB  %s\n' "$name" "$code" $((rss / 1000)) "$(head -c 150 "$dir/err" | head -1)"
	if [ "$code" != "$want" ] || [ "$rss" -gt "$limit_kb" ]; then
		echo "  FAILED: want exit $want within $((limit_kb / 1000)) MB" >&2
		fail=1
	fi
}

echo "generated files:"
ls -l "$in" | awk 'NR > 1 && !/^d/ {printf "  %-28s %12d bytes\n", $9, $5}'
echo
printf '%-52s %5s %9s  %s\n' "trial" "exit" "peak RSS" "first line of stderr"
trial "predict: 48 KB 50000×1000 gray PNG"            0 predict "$in/m.tailor" "$in/wide.png"
trial "predict: 50000×1000 RGB PNG"                    0 predict "$in/m.tailor" "$in/wide-rgb.png"
trial "predict: 50,000,000×1 PNG"                      1 predict "$in/m.tailor" "$in/line.png"
trial "predict: 12000×4000 RGB PNG"                    0 predict "$in/m.tailor" "$in/photo.png"
trial "predict: 10000×5000 JPEG"                       0 predict "$in/m.tailor" "$in/photo.jpg"
trial "predict: weights deflated, 2.4 MB → 2 GiB"      1 predict "$in/bomb.tailor" "$in/small.png"
trial "predict: 1 GiB training.json of spaces"         1 predict "$in/spaces.tailor" "$in/small.png"
trial "predict: 64 MiB stored training.json (unread)"  0 predict "$in/stored-training.tailor" "$in/small.png"
trial "evaluate: < 1 MB model, 16,384 1×1 filters"     1 evaluate "$in/wide.tailor"
trial "train --resume: 600 MB of JSON in a checkpoint" 1 train --resume "$in/ck"
trial "predict --json naming a named pipe"             1 predict "$in/m.tailor" "$in/small.png" --json "$fifo"
trial "data --data DIR lacking three files"            1 data --data "$in/partial-data"
exit $fail
