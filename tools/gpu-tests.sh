#!/usr/bin/env bash
# Builds the GPU test suite and the sample here (no GPU needed) and prints the one command that runs both on a GPU
# machine that has no .NET SDK. The Release builds and a packed .NET runtime (.device/, made by the shared
# pack-dotnet.sh when it is beside this checkout) travel with the command; all of them are git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Ep.Gpu.Tests -c Release -v quiet -nologo
dotnet build samples/MoeLayer -c Release -v quiet -nologo
if [[ -x ../shared/device/pack-dotnet.sh && ! -f .device/setup.sh ]]; then ../shared/device/pack-dotnet.sh >/dev/null; fi
cat <<'CMD'
carry: .device tests/Ep.Gpu.Tests/bin samples/MoeLayer/bin
command:
  source .device/setup.sh && dotnet tests/Ep.Gpu.Tests/bin/Release/net10.0/Ep.Gpu.Tests.dll -noColor && dotnet samples/MoeLayer/bin/Release/net10.0/MoeLayer.dll --ranks 4
CMD
