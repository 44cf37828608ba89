using System;
using System.Linq;

namespace Ep.Gpu.Tests;

/// <summary>
/// One step of one rank on any engine, split where a training step is split: <see cref="Forward"/> (Dispatch, Permute,
/// a stand-in expert, Unpermute, Combine) and <see cref="Backward"/> (the four backward passes). Passes of several layer
/// instances can therefore interleave as a pipeline schedule does (F0 F1 B0 F2 B1 B2). Every output is copied to
/// <see cref="Record"/> as soon as it exists, so a later pass on another instance cannot change what was recorded.
/// </summary>
internal sealed class StepPass : IDisposable
{
    private readonly EpLayerRuntime _layer;
    private readonly EpDevice _device;
    private readonly DeviceTensor<BFloat16> _tokens;
    private readonly DeviceTensor<long> _idx;
    private readonly DeviceTensor<float> _weights;
    private readonly DeviceTensor<BFloat16> _gradOutput;
    private EpPermutedBatch? _batch;
    private DeviceTensor<BFloat16>? _expertOut;
    private DeviceTensor<BFloat16>? _gradPermuted;

    private readonly bool _prepared;

    /// <param name="prepared">Start the step with PrepareDispatch and Dispatch(tokens, routing) instead of Dispatch(tokens, ids, weights).</param>
    public StepPass(EpGroup group, EpLayerRuntime layer, StepProblem problem, bool prepared = false)
    {
        _layer = layer;
        _prepared = prepared;
        EpDevice device = _device = group.Device;
        int rank = group.Rank, t = problem.TokenCounts[rank], k = layer.Spec.TopK, h = layer.Spec.HiddenSize;
        _tokens = DeviceTensor.Upload(device, problem.Tokens[rank], t, h);
        _idx = DeviceTensor.Upload(device, problem.Idx[rank], t, k);
        _weights = DeviceTensor.Upload(device, problem.Weights[rank], t, k);
        _gradOutput = DeviceTensor.Upload(device, problem.GradOutput[rank], t, h);
    }

    public StepRecord Record { get; } = new();

    public void Forward()
    {
        int h = _layer.Spec.HiddenSize;
        EpDispatchResult d = _prepared
            ? _layer.Dispatch(_tokens, _layer.PrepareDispatch(_idx, _weights))
            : _layer.Dispatch(_tokens, _idx, _weights);
        Record.Add("dispatch.tokens", d.Tokens);
        Record.Add("dispatch.idx", d.TopkIdx);
        Record.Add("dispatch.weights", d.TopkWeights);
        Record.Add("dispatch.counts", d.ExpertCounts);
        Record.Add("dispatch.offsets", d.ExpertOffsets);
        EpPermutedBatch batch = _layer.Permute(d);
        Record.Add("permute.tokens", batch.Tokens);
        Record.Add("permute.counts", batch.ExpertCounts);
        Record.Add("permute.offsets", batch.ExpertOffsets);

        // A stand-in expert: local expert e scales its rows by (e + 1) / 8 and adds 1/16 (padding rows stay as given).
        BFloat16[] expertIn = batch.Tokens.ToArray();
        var expertOutHost = new BFloat16[expertIn.Length];
        for (int e = 0; e < batch.ExpertCounts.Count; e++)
        {
            for (int row = batch.ExpertOffsets[e]; row < batch.ExpertOffsets[e] + batch.ExpertCounts[e]; row++)
            {
                for (int c = 0; c < h; c++)
                {
                    expertOutHost[row * h + c] = (BFloat16)((float)expertIn[row * h + c] * (e + 1) / 8f + 0.0625f);
                }
            }
        }

        _expertOut = DeviceTensor.Upload(_device, expertOutHost, batch.RowCount, h);
        _batch = batch;
        DeviceTensor<BFloat16> z = _layer.Unpermute(batch, _expertOut);
        Record.Add("unpermute", z);
        Record.Add("combine", _layer.Combine(z));
    }

    public void Backward()
    {
        if (_batch is null || _expertOut is null)
        {
            throw new InvalidOperationException("Backward runs after Forward.");
        }

        DeviceTensor<BFloat16> dz = _layer.CombineBackward(_gradOutput);
        Record.Add("combineBackward", dz);
        EpUnpermuteGradients u = _layer.UnpermuteBackward(_batch, _expertOut, dz);
        Record.Add("unpermuteBackward.expertOut", u.GradExpertOutput);
        Record.Add("unpermuteBackward.weights", u.GradWeights);
        BFloat16[] gradPermutedHost = u.GradExpertOutput.ToArray().Select(v => (BFloat16)((float)v * 0.5f - 0.25f)).ToArray();
        _gradPermuted = DeviceTensor.Upload(_device, gradPermutedHost, _batch.RowCount, _layer.Spec.HiddenSize);
        DeviceTensor<BFloat16> dRecv = _layer.PermuteBackward(_batch, _gradPermuted);
        Record.Add("permuteBackward", dRecv);
        EpDispatchGradients g = _layer.DispatchBackward(dRecv, u.GradWeights);
        Record.Add("dispatchBackward.tokens", g.GradTokens);
        Record.Add("dispatchBackward.weights", g.GradTopkWeights);
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _idx.Dispose();
        _weights.Dispose();
        _gradOutput.Dispose();
        _expertOut?.Dispose();
        _gradPermuted?.Dispose();
    }
}
