using System;
using System.Linq;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;

namespace Ep.Gpu.Tests;

/// <summary>A captured step's three input tensors for one layer, rewritten between replays.</summary>
internal sealed class CapturedStepInputs(EpDevice device, EpLayerSpec spec, int tokens) : IDisposable
{
    public DeviceTensor<BFloat16> Tokens { get; } = DeviceTensor<BFloat16>.Allocate(device, tokens, spec.HiddenSize);

    public DeviceTensor<long> Idx { get; } = DeviceTensor<long>.Allocate(device, tokens, spec.TopK);

    public DeviceTensor<float> Weights { get; } = DeviceTensor<float>.Allocate(device, tokens, spec.TopK);

    /// <summary>Identity experts that write into <see cref="EpStepRows.Output"/>: a device copy of the rows, recorded on the step's stream.</summary>
    public static DeviceTensor<BFloat16> CopyToOutput(EpStepRows rows)
    {
        CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoDAsync(StagedMemory.Address(rows.Output), StagedMemory.Address(rows.Tokens),
            (nuint)(rows.Tokens.Length * 2), rows.Stream));
        return rows.Output;
    }

    /// <summary>The raw bf16 bits of <paramref name="tensor"/>, for exact comparisons.</summary>
    public static ushort[] Bits(DeviceTensor<BFloat16> tensor) => tensor.ToArray().Select(v => v.RawBits).ToArray();

    /// <summary>Rank 0's rows, ids and weights of <paramref name="problem"/>.</summary>
    public void Write(StepProblem problem) => Write(problem.Tokens[0], problem.Idx[0], problem.Weights[0]);

    public void Write(BFloat16[] tokens, long[] idx, float[] weights)
    {
        Tokens.CopyFrom(tokens);
        Idx.CopyFrom(idx);
        Weights.CopyFrom(weights);
    }

    public void Dispose()
    {
        Tokens.Dispose();
        Idx.Dispose();
        Weights.Dispose();
    }
}
