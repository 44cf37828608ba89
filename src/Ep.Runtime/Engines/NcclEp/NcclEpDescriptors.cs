using System;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The tensor descriptors one layer passes to NCCL EP, at fixed native addresses and re-described in place each call,
/// so a step allocates nothing. One block per role, named by the argument it fills.
/// </summary>
internal sealed class NcclEpDescriptors : IDisposable
{
    public NcclEpTensorBlock TopkIdx { get; } = new((int)NcclDataType.Int64);
    public NcclEpTensorBlock InTokens { get; } = new((int)NcclDataType.BFloat16);
    public NcclEpTensorBlock InWeights { get; } = new((int)NcclDataType.Float32);
    public NcclEpTensorBlock OutTokens { get; } = new((int)NcclDataType.BFloat16);
    public NcclEpTensorBlock OutWeights { get; } = new((int)NcclDataType.Float32);
    public NcclEpTensorBlock OutIdx { get; } = new((int)NcclDataType.Int64);
    public NcclEpTensorBlock ExpertCounters { get; } = new((int)NcclDataType.Int32);
    public NcclEpTensorBlock ExpertOffsets { get; } = new((int)NcclDataType.Int32);
    public NcclEpTensorBlock ReceiveTotal { get; } = new((int)NcclDataType.Int32);

    public void Dispose()
    {
        TopkIdx.Dispose();
        InTokens.Dispose();
        InWeights.Dispose();
        OutTokens.Dispose();
        OutWeights.Dispose();
        OutIdx.Dispose();
        ExpertCounters.Dispose();
        ExpertOffsets.Dispose();
        ReceiveTotal.Dispose();
    }
}
