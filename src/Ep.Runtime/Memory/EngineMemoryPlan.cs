using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Ep;

/// <summary>One device allocation a layer instance holds per rank: what it is for and its bytes.</summary>
/// <param name="Name">The buffer, as the engine's buffer class names it (or the native library's allocation).</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Native">True for memory the native library (NCCL EP) allocates for the layer, not Ep.</param>
/// <param name="Receive">True for the buffers Dispatch writes its result into (the part warning EP0013 checks).</param>
internal readonly record struct PlannedBuffer(string Name, long Bytes, bool Native = false, bool Receive = false);

/// <summary>
/// Every device buffer one layer instance holds per rank on a GPU engine — Ep's own (receive, permute, backward and
/// staging buffers, all allocated once at the worst case) and, for NcclEp, NCCL EP's group and handle memory — so a
/// measured footprint can be checked against a plan. Its total is what the generated <c>PlanMemory</c> reports per engine
/// (<see cref="EpLayerMemory"/>). Built by <see cref="Engines.Staged.StagedMemoryPlan"/> and <see cref="Engines.NcclEp.NcclEpMemoryPlan"/>.
/// </summary>
internal sealed record EngineMemoryPlan(string Engine, IReadOnlyList<PlannedBuffer> Buffers)
{
    /// <summary>All bytes per rank.</summary>
    public long TotalBytes => Buffers.Sum(b => b.Bytes);

    /// <summary>Bytes Ep allocates per rank.</summary>
    public long EpBytes => Buffers.Where(b => !b.Native).Sum(b => b.Bytes);

    /// <summary>Bytes of the buffers Dispatch writes its result into (for Flat, exactly the receive plan EP0013 checks).</summary>
    public long ReceiveBytes => Buffers.Where(b => b.Receive).Sum(b => b.Bytes);

    /// <summary>Bytes the native library allocates for the layer per rank.</summary>
    public long NativeBytes => Buffers.Where(b => b.Native).Sum(b => b.Bytes);

    /// <summary>One line, e.g. "NcclEp 1516.1 MB (Ep 1351.6 MB + NCCL EP 164.5 MB)".</summary>
    public override string ToString() => NativeBytes > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Engine} {Mb(TotalBytes)} (Ep {Mb(EpBytes)} + NCCL EP {Mb(NativeBytes)})")
        : string.Create(CultureInfo.InvariantCulture, $"{Engine} {Mb(TotalBytes)}");

    private static string Mb(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " MB";
}
