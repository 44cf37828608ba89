using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Ep;
using Ep.Bootstrap;
using MoeLayer;

// The main job: a small MoE layer, forward and backward, expert-parallel on the best engine this machine has, checked
// against the same MoE computed densely in one process.
//   dotnet run --project samples/MoeLayer [-- --ranks 4 --steps 5 --seed 7]
// Ranks are threads of this process (Reference on the CPU, Staged on a GPU), or, when NCCL EP is provided
// (EP_NCCL_EP_LIBRARY) or a launcher started this process (ep-run, mpirun, Slurm), one process per rank
// (EpGroup.FromEnvironment: NcclEp where it can run, else Staged over NCCL).
int steps = Option(args, "--steps", 5);
int seed = Option(args, "--seed", 7);
bool processes = args.Contains("--processes") || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("EP_NCCL_EP_LIBRARY"))
    || EpLaunchEnvironment.IsLaunched(Environment.GetEnvironmentVariable);
var stepTimes = new double[steps];
string engine = "?";
int ranks;
MoeProblem problem;
System.Collections.Generic.IReadOnlyList<ComparedQuantity> compared;
int reportingRank = 0;

if (processes)
{
    using EpGroup? group = JoinGroup();
    if (group is null)
    {
        return 2;
    }

    ranks = group.WorldSize;
    reportingRank = group.Rank;
    problem = MoeProblem.Create(ranks, SampleMoe.MaxTokensPerRank, seed);
    RankResult mine = RunSteps(group, problem, steps, stepTimes, ref engine, reports: true);
    compared = Comparison.CompareRank(mine, group.Rank, new DenseMoe(problem), SampleMoe.Experts / ranks);
}
else
{
    ranks = Option(args, "--ranks", 4);
    problem = MoeProblem.Create(ranks, SampleMoe.MaxTokensPerRank, seed);
    // The first GPU when this machine has one (the Staged engine), else the CPU (the Reference engine).
    EpDevice device = EpDevice.GpuCount > 0 ? EpDevice.Gpu(0) : EpDevice.Cpu;
    string simulatedEngine = "?";
    RankResult[] results = EpWorld.RunSimulated(ranks, device, group => RunSteps(group, problem, steps, stepTimes, ref simulatedEngine, reports: group.Rank == 0));
    engine = simulatedEngine;
    compared = Comparison.Compare(results, new DenseMoe(problem), SampleMoe.Experts);
}

bool passed = compared.All(q => q.Passed);
Console.WriteLine("Ep sample: MoE layer, expert-parallel forward + backward vs. a dense computation");
Console.WriteLine($"  layer        Experts={SampleMoe.Experts} TopK={SampleMoe.TopK} HiddenSize={SampleMoe.HiddenSize} MaxTokensPerRank={SampleMoe.MaxTokensPerRank} Layout={SampleMoe.Layout} weighted={SampleMoe.ApplyWeightsInCombine}");
Console.WriteLine($"  engine       {engine}");
Console.WriteLine(processes
    ? $"  ranks        {ranks} process(es); this is rank {reportingRank} (its tokens: {problem.TokensPerRank[reportingRank]})"
    : $"  ranks        {ranks} (tokens per rank: {string.Join(", ", problem.TokensPerRank)})");
Console.WriteLine($"  memory plan  {SampleMoe.PlanMemory(ranks)}");
foreach (ComparedQuantity q in compared)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  max error    {q.Name,-24} {q.MaxError:E2} (tolerance {q.Tolerance:E0}) {(q.Passed ? "ok" : "FAILED")}"));
}

double median = stepTimes.Skip(steps > 1 ? 1 : 0).Order().ElementAt((steps - (steps > 1 ? 1 : 0)) / 2);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"  time/step    {median:F2} ms median over {steps} steps (first step excluded as warm-up when there are several)"));
Console.WriteLine(passed ? "PASSED" : "FAILED");
return passed ? 0 : 1;

// One rank's steps; the reporting rank (each process, or rank 0 of simulated ranks) records the step times and the engine.
static RankResult RunSteps(EpGroup group, MoeProblem problem, int steps, double[] stepTimes, ref string engine, bool reports)
{
    using var moe = new SampleMoe(group);
    RankResult result = null!;
    for (int step = 0; step < steps; step++)
    {
        long start = Stopwatch.GetTimestamp();
        result = EpTrainingStep.Run(moe, problem, group.Rank);
        if (reports)
        {
            stepTimes[step] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            engine = $"{group.EngineKind} ({group.EngineReason})";
        }
    }

    return result;
}

// A launch that cannot form the group (a rank that never joins, wrong variables, no CUDA or NCCL) ends with the reason, not a stack trace.
static EpGroup? JoinGroup()
{
    try
    {
        return EpGroup.FromEnvironment();
    }
    catch (Exception error) when (error is EpBootstrapException or EpConfigurationException or Ep.Interop.EpNativeLibraryException)
    {
        Console.Error.WriteLine($"MoeLayer: could not join the expert-parallel group: {error.Message}");
        return null;
    }
}

static int Option(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    if (i < 0)
    {
        return fallback;
    }

    if (i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0)
    {
        return value;
    }

    throw new ArgumentException($"{name} needs a positive integer.", nameof(args));
}
