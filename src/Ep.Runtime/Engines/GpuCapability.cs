using System.Globalization;

namespace Ep;

/// <summary>What the engines need to know about a GPU: its compute capability and how many SMs it has.</summary>
/// <param name="Major">Compute capability major version (9 for Hopper).</param>
/// <param name="Minor">Compute capability minor version.</param>
/// <param name="MultiprocessorCount">Streaming multiprocessors (132 on an H100 SXM).</param>
internal readonly record struct GpuCapability(int Major, int Minor, int MultiprocessorCount)
{
    /// <summary>The architecture name NVRTC and NCCL EP use, e.g. <c>sm_90</c>.</summary>
    public string Architecture => string.Create(CultureInfo.InvariantCulture, $"sm_{Major}{Minor}");

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Architecture} with {MultiprocessorCount} SMs");
}
