#!/usr/bin/env bash
# Issue 6's runs on one machine with several GPUs, one process per GPU, written into the folder given as argument:
#   suite-ncclep.txt   the GPU suite across processes (tests/Ep.Gpu.Ranks) under tools/ep-run, EP_ENGINE=auto (NcclEp)
#   suite-staged.txt   the same with EP_ENGINE=staged (Staged over NCCL)
#   suite-mpirun.txt   the same under mpirun (OpenMPI's variables), EP_ENGINE=auto
#   sample-*.txt       samples/MoeLayer across the GPUs (dense comparison), NcclEp and Staged
#   fault-kill.txt     rank 1 killed with SIGKILL mid-run: ep-run must stop the others and name rank 1, before its timeout
#   fault-join.txt     rank 0 of 2 started alone: the rendezvous must time out with a clear message
#
#   Build here:  bash tools/gpu-tests.sh   (Release builds + .device/)
#   Carry:       .device tests/Ep.Gpu.Ranks/bin samples/MoeLayer/bin tools/ep-run/bin .nccl/dist
#   Device:      bash tests/Ep.Gpu.Ranks/run-across-gpus.sh "$OUT"
# NCCL EP comes from .nccl/dist/{nccl-lib,nccl-ep}.tar.xz (built on the device machine, never committed) when
# EP_NCCL_EP_LIBRARY is unset; without it the auto runs use Staged over NCCL and say so.
set -uo pipefail
out=${1:?usage: run-across-gpus.sh OUTPUT_FOLDER}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/../.."
# The device machine's .NET and NCCL EP (unpacked from .nccl/dist when EP_NCCL_EP_LIBRARY is unset).
source bench/device-env.sh run-across-gpus
export PATH=/usr/local/cuda/bin:$PATH

ranks=${EP_TEST_RANKS:-$(nvidia-smi -L | wc -l)}
suite=tests/Ep.Gpu.Ranks/bin/Release/net10.0/Ep.Gpu.Ranks.dll
sample=samples/MoeLayer/bin/Release/net10.0/MoeLayer.dll
eprun=(dotnet tools/ep-run/bin/Release/net10.0/ep-run.dll)
echo "run-across-gpus: $ranks GPU(s); nccl_ep=${EP_NCCL_EP_LIBRARY:-none}; $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"
nvidia-smi topo -m > "$out/topology.txt" 2>&1 || true

failures=()
step() { # name expected_exit command...
  local name=$1 expected=$2; shift 2
  local start=$SECONDS
  echo "=== $name: $*" | tee "$out/$name.txt"
  "$@" >> "$out/$name.txt" 2>&1
  local rc=$?
  echo "=== $name: exit $rc after $((SECONDS - start)) s (expected $expected)" | tee -a "$out/$name.txt"
  grep -E "^\[rank [0-9]+\] rank [0-9]+: .* passed|PASSED|FAILED|FAIL |ep-run:|timed out|rendezvous" "$out/$name.txt" | head -20
  if [[ $rc -ne $expected ]]; then failures+=("$name (exit $rc, expected $expected)"); fi
}

step suite-ncclep 0 env EP_ENGINE=auto "${eprun[@]}" -n "$ranks" --timeout 300 -- dotnet "$suite"
step suite-staged 0 env EP_ENGINE=staged "${eprun[@]}" -n "$ranks" --timeout 300 -- dotnet "$suite"
step suite-mpirun 0 env EP_ENGINE=auto timeout 300 mpirun --allow-run-as-root -np "$ranks" -x EP_ENGINE -x EP_NCCL_LIBRARY \
  -x EP_NCCL_EP_LIBRARY -x LD_LIBRARY_PATH -x PATH -x DOTNET_ROOT dotnet "$suite"
step sample-ncclep 0 env EP_ENGINE=auto "${eprun[@]}" -n "$ranks" --timeout 120 -- dotnet "$sample" --steps 20
step sample-staged 0 env EP_ENGINE=staged "${eprun[@]}" -n "$ranks" --timeout 120 -- dotnet "$sample" --steps 20

# Rank 1 dies mid-run (SIGKILL, as the OOM killer would): ep-run must kill rank 0, stuck in a collective, name rank 1
# and exit with its status (128 + 9) well before the 120 s timeout.
kill_rank_one() {
  sleep 25
  for pid in $(pgrep -f "$sample"); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx EP_RANK=1; then
      echo "fault: killing rank 1 (pid $pid) with SIGKILL"; kill -9 "$pid"
    fi
  done
}
kill_rank_one > "$out/fault-kill-killer.txt" 2>&1 &
step fault-kill 137 "${eprun[@]}" -n "$ranks" --timeout 120 -- dotnet "$sample" --steps 1000000
wait
cat "$out/fault-kill-killer.txt" >> "$out/fault-kill.txt"

# Rank 0 of a two-rank job whose rank 1 never starts: the rendezvous gives up after 10 s; the sample prints why, exits 2.
step fault-join 2 env EP_RANK=0 EP_WORLD_SIZE=2 EP_MASTER_ADDR=127.0.0.1 EP_MASTER_PORT=29561 EP_BOOTSTRAP_TIMEOUT_S=10 \
  timeout 60 dotnet "$sample" --steps 1

echo "run-across-gpus: logs in $out"
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'run-across-gpus: not clean: %s\n' "${failures[@]}" >&2
  exit 1
fi
