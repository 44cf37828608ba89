using System.Collections.Generic;

namespace Ep.Tool.Plan;

/// <summary>A rule the layer breaks in one row's layout and algorithm, as the analyzer would report it.</summary>
/// <param name="Id">EP00xx.</param>
/// <param name="Severity">Error or Warning.</param>
/// <param name="Message">The analyzer's message, with the numbers.</param>
internal sealed record PlanViolation(string Id, EpRuleSeverity Severity, string Message);

/// <summary>One layout and algorithm at the requested rank count: <see cref="EpMemoryPlanner"/>'s numbers and the rules it breaks.</summary>
/// <param name="Mode">"HT Flat", "HT ExpertMajor" or "LL ExpertMajor".</param>
/// <param name="Layout">The layout planned.</param>
/// <param name="Algorithm">The algorithm planned.</param>
/// <param name="Plan">The receive planner's result, unchanged (what EP0013 checks; <c>PlanMemory</c> returns it with the two engine totals below added).</param>
/// <param name="Formula">How the receive rows were counted, with the numbers.</param>
/// <param name="Violations">EP00xx rules broken with this layout and algorithm at this rank count.</param>
/// <param name="StagedEngine">Every buffer the Staged engine allocates for the layer per rank (<see cref="Engines.Staged.StagedMemoryPlan"/>).</param>
/// <param name="NcclEpEngine">Every buffer the NcclEp engine and NCCL EP allocate for the layer per rank (<see cref="Engines.NcclEp.NcclEpMemoryPlan"/>).</param>
internal sealed record MemoryPlanRow(string Mode, EpLayout Layout, EpAlgorithm Algorithm, EpMemoryPlan Plan, string Formula, IReadOnlyList<PlanViolation> Violations,
    EngineMemoryPlan StagedEngine, EngineMemoryPlan NcclEpEngine)
{
    /// <summary>The Staged engine's receive buffers for this mode (expert-major also keeps the Flat rows it receives into).</summary>
    public long StagedReceiveBytes => StagedEngine.ReceiveBytes;

    /// <summary>The NcclEp engine's receive buffers for this mode (NCCL EP's dispatch outputs at its slot count).</summary>
    public long NcclEpReceiveBytes => NcclEpEngine.ReceiveBytes;

    /// <summary>Everything the Staged engine allocates for the layer per rank.</summary>
    public long StagedEngineBytes => StagedEngine.TotalBytes;

    /// <summary>Everything the NcclEp engine and NCCL EP allocate for the layer per rank.</summary>
    public long NcclEpEngineBytes => NcclEpEngine.TotalBytes;
}

/// <summary>Everything <c>ep plan</c> prints.</summary>
/// <param name="Layer">The layer as given (its Layout and Algorithm are the defaults unless named).</param>
/// <param name="Ranks">World size planned for.</param>
/// <param name="Rows">One row per layout and algorithm that may be combined.</param>
/// <param name="WorstCase">The largest row's mode.</param>
/// <param name="WorstCaseExplanation">Why that row needs the most memory, in one or two sentences.</param>
internal sealed record MemoryPlanReport(EpLayerSpec Layer, int Ranks, IReadOnlyList<MemoryPlanRow> Rows, string WorstCase, string WorstCaseExplanation);
