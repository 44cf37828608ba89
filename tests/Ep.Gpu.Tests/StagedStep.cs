using System;
using System.Linq;

namespace Ep.Gpu.Tests;

/// <summary>Runs the eight operations of one step on one rank of any engine and records every output on the host.</summary>
internal static class StagedStep
{
    public static StepRecord[] Run(EpGroup group, EpLayerRuntime layer, StepProblem problem, int steps)
    {
        var records = new StepRecord[steps];
        for (int step = 0; step < steps; step++)
        {
            records[step] = RunOnce(group, layer, problem);
        }

        return records;
    }

    /// <summary>Runs <paramref name="steps"/> identical steps on every rank of a simulated world on <paramref name="device"/>; [rank][step].</summary>
    public static StepRecord[][] RunSimulatedWorld(EpDevice device, EpLayerSpec spec, string source, StepProblem problem, int steps) =>
        EpWorld.RunSimulated(problem.TokenCounts.Length, device, group =>
        {
            using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
            return Run(group, layer, problem, steps);
        });

    private static StepRecord RunOnce(EpGroup group, EpLayerRuntime layer, StepProblem problem)
    {
        EpDevice device = group.Device;
        EpLayerSpec spec = layer.Spec;
        int rank = group.Rank, t = problem.TokenCounts[rank], k = spec.TopK, h = spec.HiddenSize;
        var record = new StepRecord();
        using var tokens = Upload(device, problem.Tokens[rank], t, h);
        using var idx = Upload(device, problem.Idx[rank], t, k);
        using var weights = Upload(device, problem.Weights[rank], t, k);
        using var gradOutput = Upload(device, problem.GradOutput[rank], t, h);

        EpDispatchResult d = layer.Dispatch(tokens, idx, weights);
        record.Add("dispatch.tokens", d.Tokens);
        record.Add("dispatch.idx", d.TopkIdx);
        record.Add("dispatch.weights", d.TopkWeights);
        record.Add("dispatch.counts", d.ExpertCounts);
        record.Add("dispatch.offsets", d.ExpertOffsets);
        EpPermutedBatch batch = layer.Permute(d);
        record.Add("permute.tokens", batch.Tokens);
        record.Add("permute.counts", batch.ExpertCounts);
        record.Add("permute.offsets", batch.ExpertOffsets);

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

        using var expertOut = Upload(device, expertOutHost, batch.RowCount, h);
        DeviceTensor<BFloat16> z = layer.Unpermute(batch, expertOut);
        record.Add("unpermute", z);
        record.Add("combine", layer.Combine(z));
        if (spec.Algorithm == EpAlgorithm.LowLatency)
        {
            return record;
        }

        DeviceTensor<BFloat16> dz = layer.CombineBackward(gradOutput);
        record.Add("combineBackward", dz);
        EpUnpermuteGradients u = layer.UnpermuteBackward(batch, expertOut, dz);
        record.Add("unpermuteBackward.expertOut", u.GradExpertOutput);
        record.Add("unpermuteBackward.weights", u.GradWeights);
        BFloat16[] gradPermutedHost = u.GradExpertOutput.ToArray().Select(v => (BFloat16)((float)v * 0.5f - 0.25f)).ToArray();
        using var gradPermuted = Upload(device, gradPermutedHost, batch.RowCount, h);
        DeviceTensor<BFloat16> dRecv = layer.PermuteBackward(batch, gradPermuted);
        record.Add("permuteBackward", dRecv);
        EpDispatchGradients g = layer.DispatchBackward(dRecv, u.GradWeights);
        record.Add("dispatchBackward.tokens", g.GradTokens);
        record.Add("dispatchBackward.weights", g.GradTopkWeights);
        return record;
    }

    public static DeviceTensor<T> Upload<T>(EpDevice device, T[] host, int rows, int columns)
        where T : unmanaged
    {
        var tensor = DeviceTensor<T>.Allocate(device, rows, columns);
        if (host.Length > 0)
        {
            tensor.CopyFrom(host);
        }

        return tensor;
    }
}
