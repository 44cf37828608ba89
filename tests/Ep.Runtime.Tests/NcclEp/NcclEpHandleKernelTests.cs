using System.IO;
using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>
/// The captured step's handle decision is compiled from a source the runtime carries itself (no layer holds it): the
/// runtime assembly must embed native/runtime/ep_handle_update.cu as it is in the repository.
/// </summary>
public sealed class NcclEpHandleKernelTests
{
    [Fact]
    public void The_runtime_embeds_the_handle_update_kernel_source()
    {
        using Stream? embedded = typeof(NcclEpHandleKernel).Assembly.GetManifestResourceStream("Ep.RuntimeKernels.ep_handle_update.cu");

        Assert.NotNull(embedded);
        using var reader = new StreamReader(embedded);
        string source = reader.ReadToEnd();
        Assert.Contains("extern \"C\" __global__ void ep_decide_handle_update(", source, System.StringComparison.Ordinal);
        Assert.Contains("cudaGraphSetConditional(conditional, rebuild);", source, System.StringComparison.Ordinal);
    }
}
