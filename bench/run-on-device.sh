#!/usr/bin/env bash
# Runs the default benchmark configurations on a GPU machine that has only a .NET runtime (this project's device
# machine) and writes every table and JSON report into the folder given as argument.
#
#   Build here first:   dotnet build bench/Ep.Bench -c Release   (and ../shared/device/pack-dotnet.sh for .device/)
#   On the device:      bash bench/run-on-device.sh "$OUT"
#   Carry:              .device  bench/Ep.Bench/bin  .nccl/dist   (the last one only for NCCL EP and ep_bench)
#
# NCCL EP and .NET: bench/device-env.sh (sourced; shared with run-on-multi-gpu.sh) unpacks .nccl/dist under /tmp/ncclep
# and points EP_NCCL_EP_LIBRARY, EP_NCCL_LIBRARY, EP_NCCL_EP_BENCH, ... there. Without them the nccl-ep rows and the
# ep_bench comparison are skipped with the reason, and the Staged engine and the copy baseline still run.
#
# Runs (ep_bench's defaults: warm-up 10, 50 timed steps), each under a time limit so that a hang cannot eat the lease:
#   ht-flat       staged + nccl-ep, 1 rank, with ep_bench --algorithm ht          (the headline comparison)
#   ht-flat-new   the same with new routing every step (--new-routing: nccl-ep updates its HT handle every step)
#   ll            staged + nccl-ep, 1 rank, with ep_bench --algorithm ll
#   ht-flat-prep  nccl-ep, each step's routing prepared ahead (--prepared: PrepareDispatch untimed, as ep_bench's handle)
#   ll-prep       the same for LL: with ht-flat-prep, the issue's eager Dispatch targets (equal work with ep_bench)
#   ht-flat-zc    staged + nccl-ep zero-copy, 1 rank, with ep_bench --zcopy
#   ht-flat r8    staged, 8 ranks simulated on the one GPU (what the GPU moves in aggregate)
#   ht-em r4      staged, 4 ranks (HT ExpertMajor needs <= 64 local experts; NCCL EP in one process cannot run it)
#   kernels       each generated kernel alone (--kernels, ht-flat, one rank) against the same-run copy bandwidth
#   nvrtc         every declared layer's NVRTC first compile (fresh cache) and cached load (--nvrtc)
#   route-plan-*  the route plan's host work per Dispatch on this machine's CPU (--route-plan, LL and HT Flat)
# Expected total on an H100: about 4-6 minutes, most of it NCCL EP's first HT kernel compile (nvcc, cached in /tmp).
set -uo pipefail
out=${1:?usage: bench/run-on-device.sh OUTPUT_FOLDER}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."

source bench/device-env.sh run-on-device
dll=bench/Ep.Bench/bin/Release/net10.0/Ep.Bench.dll
if [[ ! -f $dll ]]; then
  echo "run-on-device: $dll is missing; build it first (dotnet build bench/Ep.Bench -c Release) and carry bench/Ep.Bench/bin" >&2
  exit 2
fi

nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm,clocks.max.sm --format=csv > "$out/gpu.csv" 2>&1 || true

failures=()
run() { # name limit_seconds args...
  local name=$1 limit=$2; shift 2
  echo "=== $name: dotnet $dll $*" | tee "$out/$name.txt"
  timeout --kill-after=10 "$limit" dotnet "$dll" "$@" --json "$out/$name.json" 2> "$out/$name.log" | tee -a "$out/$name.txt"
  local rc=${PIPESTATUS[0]}
  if [[ $rc -ne 0 ]]; then
    failures+=("$name (exit $rc; see $name.log)")
    tail -5 "$out/$name.log" | sed "s/^/  $name: /"
  fi
}

run ht-flat      150 --layer ht-flat    --engine all     --ep-bench-timeout 100 --cuda-graph
run ht-flat-new  120 --layer ht-flat    --engine all     --ep-bench-timeout 100 --new-routing
run ll            90 --layer ll         --engine all     --ep-bench-timeout 60  --cuda-graph
run ht-flat-prep 100 --layer ht-flat    --engine nccl-ep --ep-bench-timeout 60  --prepared
run ll-prep       60 --layer ll         --engine nccl-ep --ep-bench-timeout 40  --prepared
run ht-flat-zc    90 --layer ht-flat-zc --engine all     --ep-bench-timeout 60
# 8 simulated ranks at 4096 tokens need ~10 GB of worst-case buffers per rank (OOM on 80 GB): a 1024-token layer.
run ht-flat-r8    90 --layer ht-flat-1k --engine staged  --ranks 8 --no-ep-bench
run ht-em-r4      90 --layer ht-em      --engine staged  --ranks 4 --no-ep-bench
run kernels       60 --layer ht-flat    --kernels        --no-ep-bench
run nvrtc         90 --nvrtc            --no-ep-bench
run route-plan-ll 30 --route-plan       --layer ll
run route-plan-ht 30 --route-plan       --layer ht-flat

cat "$out"/ht-flat.txt "$out"/ht-flat-new.txt "$out"/ll.txt "$out"/ht-flat-prep.txt "$out"/ll-prep.txt "$out"/ht-flat-zc.txt "$out"/ht-flat-r8.txt "$out"/ht-em-r4.txt "$out"/kernels.txt "$out"/nvrtc.txt "$out"/route-plan-ll.txt "$out"/route-plan-ht.txt > "$out/summary.txt" 2>/dev/null
echo "run-on-device: reports in $out (summary.txt, one .txt/.json/.log per run)"
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'run-on-device: not clean: %s\n' "${failures[@]}" >&2
  exit 1
fi
