using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Ep;
using MoeLayer;

// The main job: a small MoE layer, forward and backward, expert-parallel over simulated ranks on the best
// engine this machine has, checked against the same MoE computed densely in one process.
//   dotnet run --project samples/MoeLayer [-- --ranks 4 --steps 5 --seed 7]
int ranks = Option(args, "--ranks", 4);
int steps = Option(args, "--steps", 5);
int seed = Option(args, "--seed", 7);

MoeProblem problem = MoeProblem.Create(ranks, SampleMoe.MaxTokensPerRank, seed);
var dense = new DenseMoe(problem);
// The first GPU when this machine has one (the Staged engine), else the CPU (the Reference engine).
EpDevice device = EpDevice.GpuCount > 0 ? EpDevice.Gpu(0) : EpDevice.Cpu;
string engine = "?";
var stepTimes = new double[steps];

RankResult[] results = EpWorld.RunSimulated(ranks, device, group =>
{
    using var moe = new SampleMoe(group);
    RankResult result = null!;
    for (int step = 0; step < steps; step++)
    {
        long start = Stopwatch.GetTimestamp();
        result = EpTrainingStep.Run(moe, problem, group.Rank);
        if (group.Rank == 0)
        {
            stepTimes[step] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            engine = $"{group.EngineKind} ({group.EngineReason})";
        }
    }

    return result;
});

var compared = Comparison.Compare(results, dense, SampleMoe.Experts);
bool passed = compared.All(q => q.Passed);

Console.WriteLine("Ep sample: MoE layer, expert-parallel forward + backward vs. a dense computation");
Console.WriteLine($"  layer        Experts={SampleMoe.Experts} TopK={SampleMoe.TopK} HiddenSize={SampleMoe.HiddenSize} MaxTokensPerRank={SampleMoe.MaxTokensPerRank} Layout={SampleMoe.Layout} weighted={SampleMoe.ApplyWeightsInCombine}");
Console.WriteLine($"  engine       {engine}");
Console.WriteLine($"  ranks        {ranks} (tokens per rank: {string.Join(", ", problem.TokensPerRank)})");
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
