using Ep.Bench.Options;
using Ep.Engines.NcclEp;

namespace Ep.Bench.Engines;

/// <summary>
/// <c>--ll-layout-on-stream</c>: where an NcclEp LowLatency layer lays out the received rows in an eager Dispatch — on
/// its branch beside <c>ncclEpDispatch</c> (the default) or after it on the layer's stream — set before the first step.
/// Other engines and layouts have no such choice and are left as they are.
/// </summary>
internal static class LayoutPlacement
{
    public static void Apply(EpLayerRuntime layer, BenchOptions options)
    {
        System.ArgumentNullException.ThrowIfNull(layer);
        System.ArgumentNullException.ThrowIfNull(options);
        if (layer.EngineLayer is NcclEpLayer ncclEp)
        {
            ncclEp.LayOutBesideDispatch = !options.LowLatencyLayoutOnStream;
        }
    }
}
