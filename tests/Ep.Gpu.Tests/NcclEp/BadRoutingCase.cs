using System.Linq;
using Xunit;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>
/// A <see cref="FlatWeightedMoe"/> step of five tokens whose entry (token, slot) holds a bad id: the error its Dispatch
/// throws, then the row count of a good step on the same layer (the process lives on and the layer still works). Run on
/// the Reference engine and on NcclEp, which must agree; NCCL EP must never see the bad id (it would abort).
/// </summary>
internal static class BadRoutingCase
{
    /// <param name="prepared">Start both steps with PrepareDispatch and Dispatch(tokens, routing).</param>
    public static (int Rank, int Token, int Slot, long Value, int Rows) Run(EpGroup group, int token, int slot, long value, bool prepared)
    {
        (EpLayerSpec spec, string source) = TestLayers.All[nameof(FlatWeightedMoe)];
        using var layer = new EpLayerRuntime(group, spec, source, nameof(FlatWeightedMoe));
        EpDevice device = group.Device;
        int t = 5, k = spec.TopK, h = spec.HiddenSize;
        long[] ids = Enumerable.Range(0, t * k).Select(i => (long)((i % k) * 4 + i / k % 4)).ToArray();
        using var tokens = DeviceTensor.Upload(device, new BFloat16[t * h], t, h);
        using var goodIdx = DeviceTensor.Upload(device, ids, t, k);
        using var weights = DeviceTensor.Upload(device, new float[t * k], t, k);
        ids[token * k + slot] = value;
        using var badIdx = DeviceTensor.Upload(device, ids, t, k);
        EpDispatchResult Dispatch(DeviceTensor<long> idx) =>
            prepared ? layer.Dispatch(tokens, layer.PrepareDispatch(idx, weights)) : layer.Dispatch(tokens, idx, weights);

        var error = Assert.Throws<EpRoutingException>(() => Dispatch(badIdx));
        EpDispatchResult d = Dispatch(goodIdx);
        EpPermutedBatch batch = layer.Permute(d);
        layer.Combine(layer.Unpermute(batch, batch.Tokens));
        return (error.Rank, error.Token, error.Slot, error.Value, d.RowCount);
    }
}
