#!/usr/bin/env bash
# Runs the benchmark with one process per GPU (Ep.Bench --processes under ep-run) on a machine with several GPUs and
# only a .NET runtime (this project's device machine), and writes every table and JSON report into the folder given.
#
#   Build here first:   dotnet build Ep.sln -c Release      (Ep.Bench and tools/ep-run; ../shared/device/pack-dotnet.sh for .device/)
#   On the device:      bash bench/run-on-multi-gpu.sh "$OUT"
#   Carry:              .device  bench/Ep.Bench/bin  tools/ep-run/bin  .nccl/dist   (the last one only for NCCL EP and ep_bench)
#
# N = the number of GPUs (nvidia-smi -L), or EP_BENCH_RANKS when set. Each configuration is one ep-run launch of N
# ranks: every rank joins with EpGroup.FromEnvironment, times the plain NCCL all-to-all baseline, then staged and
# nccl-ep forced in turn on that communicator; rank 0 gathers, then (every rank's GPU released) runs
# mpirun -np N ep_bench for the same configuration, and prints the table:
#   ht-flat       HT Flat, 4096 tokens/rank          ep_bench --algorithm ht
#   ll            LL ExpertMajor, 128 tokens/rank    ep_bench --algorithm ll
#   ht-flat-zc    HT Flat zero-copy                  ep_bench --algorithm ht --zcopy
# ep_bench's defaults: warm-up 10, 50 timed steps. Each launch runs under ep-run --timeout (every rank, and ep_bench
# under rank 0, is killed when it passes) and an outer timeout. Expected total on 2×H100: about 3-4 minutes (NCCL EP
# HT compiles its kernels at run time, 5-15 s per new configuration, for us and again for ep_bench); at most ~6.5
# (every limit reached).
# Writes NAME.txt (rank 0's table), NAME.json, NAME.log (every rank's progress and errors, "[rank K]" in front,
# and ep-run's own lines), gpu.csv and summary.txt. Exits 1 if a launch failed, naming it.
set -uo pipefail
out=${1:?usage: bench/run-on-multi-gpu.sh OUTPUT_FOLDER}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."

source bench/device-env.sh run-on-multi-gpu
dll=bench/Ep.Bench/bin/Release/net10.0/Ep.Bench.dll
eprun=tools/ep-run/bin/Release/net10.0/ep-run.dll
for f in "$dll" "$eprun"; do
  if [[ ! -f $f ]]; then
    echo "run-on-multi-gpu: $f is missing; build first (dotnet build Ep.sln -c Release) and carry bench/Ep.Bench/bin and tools/ep-run/bin" >&2
    exit 2
  fi
done

ranks=${EP_BENCH_RANKS:-$(nvidia-smi -L 2>/dev/null | wc -l)}
if [[ ! $ranks =~ ^[1-9][0-9]*$ ]]; then
  echo "run-on-multi-gpu: no GPU found (nvidia-smi -L); set EP_BENCH_RANKS to force a rank count" >&2
  exit 2
fi
echo "run-on-multi-gpu: $ranks rank(s), one per GPU"
nvidia-smi --query-gpu=index,name,memory.used,memory.total,clocks.sm,clocks.max.sm --format=csv > "$out/gpu.csv" 2>&1 || true
nvidia-smi topo -m >> "$out/gpu.csv" 2>&1 || true

failures=()
run() { # name limit_seconds args...
  local name=$1 limit=$2; shift 2
  echo "=== $name: ep-run -n $ranks -- dotnet $dll --processes $*" | tee "$out/$name.txt"
  timeout --kill-after=10 $((limit + 20)) dotnet "$eprun" -n "$ranks" --timeout "$limit" -- \
    dotnet "$dll" --processes "$@" --json "$out/$name.json" > "$out/$name.stdout" 2> "$out/$name.log"
  local rc=$?
  # Only rank 0 prints the table; anything else on stdout (other ranks, ep-run) belongs with the log.
  sed -n 's/^\[rank 0\] //p' "$out/$name.stdout" | tee -a "$out/$name.txt"
  grep -v '^\[rank 0\] ' "$out/$name.stdout" >> "$out/$name.log"
  rm -f "$out/$name.stdout"
  if [[ $rc -ne 0 ]]; then
    failures+=("$name (exit $rc; see $name.log)")
    tail -8 "$out/$name.log" | sed "s/^/  $name: /"
  fi
}

# Each limit leaves the Ep part (start, kernel compiles, baseline, both engines: ~30-60 s) room before ep_bench's own.
# Rank 0 writes NAME.json before it starts ep_bench, so a launch stopped during ep_bench keeps our figures.
run ht-flat      150 --layer ht-flat    --engine all --ep-bench-timeout 70
run ll            90 --layer ll         --engine all --ep-bench-timeout 40
run ht-flat-zc   120 --layer ht-flat-zc --engine all --ep-bench-timeout 60

cat "$out"/ht-flat.txt "$out"/ll.txt "$out"/ht-flat-zc.txt > "$out/summary.txt" 2>/dev/null
echo "run-on-multi-gpu: reports in $out (summary.txt, one .txt/.json/.log per run)"
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'run-on-multi-gpu: not clean: %s\n' "${failures[@]}" >&2
  exit 1
fi
