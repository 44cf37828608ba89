namespace Ep.Bench.Engines;

/// <summary>An engine the benchmark can time.</summary>
internal enum BenchEngine
{
    /// <summary>Ranks simulated as threads on GPU 0, tokens exchanged by device copies (<c>EpWorld.RunSimulated</c>).</summary>
    Staged,

    /// <summary>NVIDIA NCCL EP over a one-rank NCCL communicator in this process (GPU 0).</summary>
    NcclEp,

    /// <summary>The CPU Reference engine (small layers only).</summary>
    Reference,
}

/// <summary>Command-line names of <see cref="BenchEngine"/>.</summary>
internal static class BenchEngineNames
{
    /// <summary>The name used on the command line, in the table and in the JSON.</summary>
    public static string Name(this BenchEngine engine) => engine switch
    {
        BenchEngine.Staged => "staged",
        BenchEngine.NcclEp => "nccl-ep",
        _ => "reference",
    };
}
