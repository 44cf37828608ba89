namespace Ep.Gpu.Tests;

/// <summary>Runs the eight operations of one step on one rank of any engine and records every output on the host.</summary>
internal static class StagedStep
{
    /// <param name="prepared">Start each step with PrepareDispatch (see <see cref="StepPass"/>).</param>
    public static StepRecord[] Run(EpGroup group, EpLayerRuntime layer, StepProblem problem, int steps, bool prepared = false)
    {
        var records = new StepRecord[steps];
        for (int step = 0; step < steps; step++)
        {
            using var pass = new StepPass(group, layer, problem, prepared);
            pass.Forward();
            if (layer.Spec.Algorithm != EpAlgorithm.LowLatency)
            {
                pass.Backward();
            }

            records[step] = pass.Record;
        }

        return records;
    }

    /// <summary>Runs <paramref name="steps"/> identical steps on every rank of a simulated world on <paramref name="device"/>; [rank][step].</summary>
    public static StepRecord[][] RunSimulatedWorld(EpDevice device, EpLayerSpec spec, string source, StepProblem problem, int steps, bool prepared = false) =>
        EpWorld.RunSimulated(problem.TokenCounts.Length, device, group =>
        {
            using var layer = new EpLayerRuntime(group, spec, source, "TestMoe");
            return Run(group, layer, problem, steps, prepared);
        });
}
