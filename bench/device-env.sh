# Sourced by bench/run-on-device.sh and bench/run-on-multi-gpu.sh (from the repository root): the device machine's .NET
# (.device/setup.sh, from ../shared/device/pack-dotnet.sh) and NCCL EP.
#
# NCCL EP: when EP_NCCL_EP_LIBRARY is unset and .nccl/dist (or $NCCL_DIST) holds nccl-lib.tar.xz and nccl-ep.tar.xz,
# both are unpacked under /tmp/ncclep and EP_NCCL_LIBRARY, EP_NCCL_EP_LIBRARY, NCCL_EP_HOME, NCCL_HOME, CUDA_HOME,
# LD_LIBRARY_PATH and EP_NCCL_EP_BENCH (test/nccl_ep/ep_bench) point there. Without them the nccl-ep rows and the
# ep_bench comparison are skipped with the reason, and the Staged engine and the other baselines still run.
# $1: the name printed in front of the summary line (the calling script's).

if [[ -f .device/setup.sh ]]; then source .device/setup.sh; fi

ep_dist=${NCCL_DIST:-.nccl/dist}
if [[ -z ${EP_NCCL_EP_LIBRARY:-} && -f $ep_dist/nccl-ep.tar.xz && -f $ep_dist/nccl-lib.tar.xz ]]; then
  mkdir -p /tmp/ncclep
  tar -C /tmp/ncclep -xJf "$ep_dist/nccl-lib.tar.xz" && tar -C /tmp/ncclep -xJf "$ep_dist/nccl-ep.tar.xz"
  export EP_NCCL_LIBRARY=/tmp/ncclep/lib/libnccl.so.2 EP_NCCL_EP_LIBRARY=/tmp/ncclep/lib/libnccl_ep.so.0
  # ep_bench's HT kernels are compiled by NCCL EP at run time too: it needs the same headers and nvcc.
  export NCCL_EP_HOME=/tmp/ncclep NCCL_HOME=/tmp/ncclep CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
  export LD_LIBRARY_PATH=/tmp/ncclep/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  if [[ -x /tmp/ncclep/test/nccl_ep/ep_bench && -z ${EP_NCCL_EP_BENCH:-} ]]; then
    export EP_NCCL_EP_BENCH=/tmp/ncclep/test/nccl_ep/ep_bench
  fi
fi
unset ep_dist
echo "${1:-bench}: nccl_ep=${EP_NCCL_EP_LIBRARY:-none} nccl=${EP_NCCL_LIBRARY:-none} ep_bench=${EP_NCCL_EP_BENCH:-none} mpirun=$(command -v mpirun || echo none)"
