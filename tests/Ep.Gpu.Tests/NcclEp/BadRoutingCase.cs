using System.Linq;
using Xunit;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>
/// A step of five tokens whose entry (token, slot) holds a bad id, on a layer that applies the weights in Combine
/// (<see cref="FlatWeightedMoe"/> or <see cref="LowLatencyMoe"/>): the error its Dispatch throws, then the row count of a
/// good step on the same layer and whether its Combine gave back the tokens (the process lives on and the layer still
/// works: weights of 1/K and experts that pass their rows through return each token exactly). Run on the Reference
/// engine and on NcclEp, which must agree; NCCL EP must never see the bad id (it would abort).
/// </summary>
internal static class BadRoutingCase
{
    /// <param name="prepared">Start both steps with PrepareDispatch and Dispatch(tokens, routing).</param>
    /// <param name="layerName">A layer of <see cref="TestLayers"/> with 16 experts, top-4, weights applied in Combine.</param>
    public static (int Rank, int Token, int Slot, long Value, int Rows, bool CombinedIsTokens) Run(EpGroup group, int token, int slot, long value, bool prepared,
        string layerName = nameof(FlatWeightedMoe))
    {
        (EpLayerSpec spec, string source) = TestLayers.All[layerName];
        using var layer = new EpLayerRuntime(group, spec, source, layerName);
        EpDevice device = group.Device;
        int t = 5, k = spec.TopK, h = spec.HiddenSize;
        long[] ids = Enumerable.Range(0, t * k).Select(i => (long)((i % k) * 4 + i / k % 4)).ToArray();
        BFloat16[] rows = Enumerable.Range(0, t * h).Select(i => (BFloat16)(i / h + 1)).ToArray();
        using var tokens = DeviceTensor.Upload(device, rows, t, h);
        using var goodIdx = DeviceTensor.Upload(device, ids, t, k);
        using var weights = DeviceTensor.Upload(device, Enumerable.Repeat(1f / k, t * k).ToArray(), t, k);
        ids[token * k + slot] = value;
        using var badIdx = DeviceTensor.Upload(device, ids, t, k);
        EpDispatchResult Dispatch(DeviceTensor<long> idx) =>
            prepared ? layer.Dispatch(tokens, layer.PrepareDispatch(idx, weights)) : layer.Dispatch(tokens, idx, weights);

        var error = Assert.Throws<EpRoutingException>(() => Dispatch(badIdx));
        EpDispatchResult d = Dispatch(goodIdx);
        EpPermutedBatch batch = layer.Permute(d);
        BFloat16[] combined = layer.Combine(layer.Unpermute(batch, batch.Tokens)).ToArray();
        return (error.Rank, error.Token, error.Slot, error.Value, d.RowCount, combined.SequenceEqual(rows));
    }
}
