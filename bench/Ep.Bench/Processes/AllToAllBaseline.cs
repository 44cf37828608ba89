using System;
using System.Collections.Generic;
using Ep.Bench.Metrics;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Bench.Processes;

/// <summary>
/// The plain NCCL exchange a user without an EP library would write for HT Dispatch: one <c>ncclGroupStart</c> …
/// <c>ncclGroupEnd</c> with an <c>ncclSend</c> and an <c>ncclRecv</c> of exactly the <see cref="AllToAllPlan"/>'s rows per
/// peer (itself included), on a stream of its own, timed with CUDA events around the group like the operations. Only the
/// exchange is timed: the rows are taken as already packed by destination (the user's pack kernel is not counted), and no
/// routing metadata, weights or counts travel — it is the floor an EP library's Dispatch is held against.
/// </summary>
internal static class AllToAllBaseline
{
    /// <summary>Runs <paramref name="warmup"/> + <paramref name="iterations"/> exchanges (collective: every rank calls it with its own plan).</summary>
    /// <returns>Device microseconds of each timed exchange.</returns>
    public static List<double> Measure(IntPtr communicator, AllToAllPlan plan, int warmup, int iterations)
    {
        ArgumentNullException.ThrowIfNull(plan);
        long rowElements = plan.RowBytes / 2;
        using var send = DeviceMemoryHandle.Allocate(Math.Max(plan.SendBytes, 256));
        using var receive = DeviceMemoryHandle.Allocate(Math.Max(plan.ReceiveBytes, 256));
        using var stream = CudaStreamHandle.Create();
        using var start = CudaEventHandle.Create(timing: true);
        using var end = CudaEventHandle.Create(timing: true);
        IntPtr s = stream.DangerousGetHandle();
        long[] sendOffsets = plan.SendOffsets, receiveOffsets = plan.ReceiveOffsets;

        // A non-zero pattern (bf16 1.0 pairs): never time zeros.
        CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(send.Pointer, 0x3F803F80u, (nuint)(Math.Max(plan.SendBytes, 256) / 4), s));
        var samples = new List<double>(iterations);
        for (int i = 0; i < warmup + iterations; i++)
        {
            start.Record(stream);
            NcclException.ThrowIfFailed(Nccl.GroupStart());
            for (int peer = 0; peer < plan.Ranks; peer++)
            {
                if (plan.SendRows[peer] > 0)
                {
                    NcclException.ThrowIfFailed(Nccl.Send(send.Pointer + (ulong)(sendOffsets[peer] * plan.RowBytes), (nuint)(plan.SendRows[peer] * rowElements),
                        NcclDataType.BFloat16, peer, communicator, s));
                }

                if (plan.ReceiveRows[peer] > 0)
                {
                    NcclException.ThrowIfFailed(Nccl.Recv(receive.Pointer + (ulong)(receiveOffsets[peer] * plan.RowBytes), (nuint)(plan.ReceiveRows[peer] * rowElements),
                        NcclDataType.BFloat16, peer, communicator, s));
                }
            }

            NcclException.ThrowIfFailed(Nccl.GroupEnd());
            end.Record(stream);
            end.Synchronize();
            if (i >= warmup)
            {
                samples.Add(end.ElapsedSince(start) * 1000.0);
            }
        }

        return samples;
    }
}
