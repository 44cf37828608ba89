#!/usr/bin/env bash
# Builds the GPU test suite, its across-processes runner, the launcher and the sample here (no GPU needed) and prints
# the commands that run them on a GPU machine that has no .NET SDK. The Release builds and a packed .NET runtime
# (.device/, made by the shared pack-dotnet.sh when it is beside this checkout) travel with the command; all of them
# are git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in tests/Ep.Gpu.Tests tests/Ep.Gpu.Ranks tools/ep-run samples/MoeLayer; do
  dotnet build "$project" -c Release -v quiet -nologo
done
if [[ -x ../shared/device/pack-dotnet.sh && ! -f .device/setup.sh ]]; then ../shared/device/pack-dotnet.sh >/dev/null; fi
cat <<'CMD'
carry: .device tests/Ep.Gpu.Tests/bin/Release tests/Ep.Gpu.Ranks/bin/Release tools/ep-run/bin/Release samples/MoeLayer/bin/Release [.nccl/dist]
one GPU:
  source .device/setup.sh && dotnet tests/Ep.Gpu.Tests/bin/Release/net10.0/Ep.Gpu.Tests.dll -noColor && dotnet samples/MoeLayer/bin/Release/net10.0/MoeLayer.dll --ranks 4
several GPUs (one process per GPU; see the script's header):
  bash tests/Ep.Gpu.Ranks/run-across-gpus.sh "$OUT"
CMD
