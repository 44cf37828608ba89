using System;

namespace Ep;

/// <summary>How a group is set up beyond its ranks: which engine to use and NCCL EP tuning.</summary>
public sealed record EpGroupOptions
{
    /// <summary>The engine to use; null = read <c>EP_ENGINE</c> (auto when unset). An explicit value wins over the variable.</summary>
    public EpEnginePreference? Engine { get; init; }

    /// <summary>SMs NCCL EP's kernels may use; null = NCCL EP's defaults (HT 16, LL every SM).</summary>
    public int? NcclEpMaxSms { get; init; }

    /// <summary>NCCL EP LowLatency timeout (whole milliseconds, at least 1 ms); null = NCCL EP's default or NCCL_EP_TIMEOUT_MS.</summary>
    public TimeSpan? NcclEpTimeout { get; init; }

    /// <summary>The engine preference: <see cref="Engine"/> when set, else <c>EP_ENGINE</c> of this process.</summary>
    public EpEnginePreference ResolveEngine() => ResolveEngine(Environment.GetEnvironmentVariable);

    /// <summary>The engine preference with <paramref name="environment"/> as the variable lookup (tests).</summary>
    internal EpEnginePreference ResolveEngine(Func<string, string?> environment) =>
        Engine ?? EpEnginePreferenceParser.Parse(environment(EpEnginePreferenceParser.EnvironmentVariable));

    internal Engines.NcclEp.NcclEpTuning NcclEpTuning => new(NcclEpMaxSms, NcclEpTimeout);
}
