#!/usr/bin/env bash
# Builds the GPU test suite here (no GPU needed) and prints the one command that runs it on a GPU machine
# that has no .NET SDK. The build output and a packed .NET runtime (.device/, made by the shared
# pack-dotnet.sh) travel with the command; both are git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Ep.Gpu.Tests -c Release -v quiet -nologo
if [[ -x ../shared/device/pack-dotnet.sh ]]; then ../shared/device/pack-dotnet.sh >/dev/null; fi
cat <<'CMD'
carry: .device tests/Ep.Gpu.Tests/bin
command:
  source .device/setup.sh && dotnet tests/Ep.Gpu.Tests/bin/Release/net10.0/Ep.Gpu.Tests.dll -diagnostics -noColor
CMD
