#!/usr/bin/env bash
# Where the time goes in `sealnet-bench tcp`: perf samples every CPU for
# the whole benchmark run (all three passes), and this prints, for each
# compartment of that run, its share of all samples, its share of the
# samples of the run's own compartments, and the part of its share spent
# in the kernel; then everything else on the machine, and the
# benchmark's own figures.  One JSON object per line.  Run as root, with
# perf (Debian's linux-perf).  The README's profile figures come from
# this script.
#
# Shares are of every sample on every CPU, so other work on the machine
# lowers them: the "others" line says how much of it there was.  If the
# benchmark fails, nothing is printed and the exit status is 1.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$(id -u)" -ne 0 ]; then
	echo "profile-tcp: run as root (perf -a, and the benchmark's namespaces)" >&2
	exit 1
fi
command -v perf >/dev/null || {
	echo "profile-tcp: needs perf (apt-get install linux-perf)" >&2
	exit 1
}

perf record -q -a -F 999 -o "$tmp/perf.data" -- \
	env KEEP_EVENTS="$tmp/stack.events" "$root/scripts/bench-tcp.sh" "$build" \
	>"$tmp/bench.out" 2>"$tmp/bench.err"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$tmp/stack.events" ]; then
	cat "$tmp/bench.err" >&2
	echo "profile-tcp: FAILED: the benchmark exited with status $rc; no figures" >&2
	exit 1
fi
# pid -> compartment, every incarnation, from the supervisor's events.
jq -r 'select(.event=="started") | "\(.pid) \(.compartment)"' \
	"$tmp/stack.events" >"$tmp/pids"
perf report -i "$tmp/perf.data" --stdio -q --sort pid,dso 2>/dev/null \
	>"$tmp/report"
[ -s "$tmp/report" ] || {
	echo "profile-tcp: FAILED: perf report gave nothing; no figures" >&2
	exit 1
}
awk '
NR == FNR { name[$1] = $2; order[++n] = $2; next }
{
	pct = $1; sub(/%$/, "", pct)
	pid = $2; sub(/:.*/, "", pid)
	who = (pid in name) ? name[pid] : "others"
	share[who] += pct
	if ($3 == "[kernel.kallsyms]")
		kernel[who] += pct
}
# Of all samples; of the samples of the run itself (all but the others);
# and of its own share, how much was in the kernel.
function line(c, own) {
	own = 100 - share["others"]
	# (In a printf argument list a bare > would redirect the output.)
	printf "{\"bench\": \"profile\", \"compartment\": \"%s\", \"percent_of_all_samples\": %.1f, \"percent_of_the_runs_samples\": %.1f, \"percent_of_it_in_kernel\": %.0f}\n", \
		c, share[c], (c != "others" && own > 0 ? 100 * share[c] / own : 0), \
		(share[c] > 0 ? 100 * kernel[c] / share[c] : 0)
}
END {
	for (i = 1; i <= n; i++)
		if (!seen[order[i]]++)
			line(order[i])
	line("others")
}' "$tmp/pids" "$tmp/report"
# The functions each compartment spent most of its samples in: its top
# five, each as a share of that compartment's samples.  perf finds no
# symbols in the sealed memfds the compartments run from, and gives an
# address in the binary; the static binaries load at 0x400000, so
# addr2line on build/compartments/NAME names it.  A function's samples
# spread over many addresses (a copy's loop), so every address is named
# before the shares are summed by function.
perf report -i "$tmp/perf.data" --stdio -q --sort pid,sym 2>/dev/null \
	>"$tmp/symbols"
awk '
NR == FNR { name[$1] = $2; next }
{
	pct = $1; sub(/%$/, "", pct)
	pid = $2; sub(/:.*/, "", pid)
	if (!(pid in name)) next
	sym = $0; sub(/^.*\] /, "", sym); gsub(/"/, "", sym)
	printf "%s\t%s\t%s\n", name[pid], sym, pct
}' "$tmp/pids" "$tmp/symbols" >"$tmp/samples"
while read -r who; do
	bin=$build/compartments/$(echo "$who" | tr '[:upper:]' '[:lower:]')
	awk -F'\t' -v w="$who" '$1 == w' "$tmp/samples" >"$tmp/one"
	# One addr2line for all of the compartment's addresses, in order;
	# kernel symbols and what it cannot name keep perf's name.
	cut -f2 "$tmp/one" | while read -r sym; do
		if [[ $sym =~ ^0x[0-9a-f]+$ ]]; then printf '0x%x\n' $((sym + 0x400000)); else echo 0; fi
	done >"$tmp/addrs"
	if [ -f "$bin" ]; then
		addr2line -f -e "$bin" <"$tmp/addrs" | awk 'NR % 2 == 1' >"$tmp/names"
	else
		: >"$tmp/names"
	fi
	paste "$tmp/one" "$tmp/names" | awk -F'\t' '
	{
		fn = ($2 ~ /^0x[0-9a-f]+$/ && $4 != "" && $4 != "??") ? $4 : $2
		share[fn] += $3; total += $3
	}
	END { for (fn in share) printf "%s\t%.1f\n", fn, 100 * share[fn] / total }' |
		sort -t"$(printf '\t')" -k2,2 -rn | head -5 |
		while IFS=$'\t' read -r fn pct; do
			printf '{"bench": "profile_function", "compartment": "%s", "function": "%s", "percent_of_compartment": %s}\n' \
				"$who" "$fn" "$pct"
		done
done < <(cut -f1 "$tmp/samples" | sort -u)
cat "$tmp/bench.out"
