using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace Ep.Bench.Baselines;

/// <summary>How the ep_bench run went: its figures, or why there are none.</summary>
/// <param name="CommandLine">What was run (null when nothing was).</param>
/// <param name="Figures">The parsed summary, or null.</param>
/// <param name="Problem">Why there are no figures, or null.</param>
/// <param name="Ranks">Ranks ep_bench ran with (mpirun -np).</param>
internal sealed record EpBenchResult(string? CommandLine, EpBenchFigures? Figures, string? Problem, int Ranks = 1);

/// <summary>
/// Runs NVIDIA's own benchmark for the same configuration in the same session: the binary named by
/// <c>EP_NCCL_EP_BENCH</c>, on as many ranks as ours (<c>mpirun --allow-run-as-root -np N</c>; at one rank the binary alone
/// as an MPI singleton when no mpirun is on PATH), with ep_bench's flags for our layer, under a time limit.
/// </summary>
internal static class EpBenchRunner
{
    /// <summary>The variable that names ep_bench.</summary>
    public const string Variable = "EP_NCCL_EP_BENCH";

    /// <summary>ep_bench's arguments for a layer: algorithm, layout, sizes, warm-up and iterations.</summary>
    public static IReadOnlyList<string> Arguments(EpLayerSpec spec, int tokens, int warmup, int iterations)
    {
        ArgumentNullException.ThrowIfNull(spec);
        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        var args = new List<string>
        {
            "--algorithm", lowLatency ? "ll" : "ht",
            "--layout", spec.Layout == EpLayout.ExpertMajor ? "em" : "fl",
            "--tokens", Text(tokens),
            "--hidden", Text(spec.HiddenSize),
            "--top-k", Text(spec.TopK),
            "--experts", Text(spec.Experts),
            "--warmup", Text(warmup),
            "--iters", Text(Math.Max(iterations, 2)), // ep_bench drops its first timed iteration
        };
        if (spec.Layout == EpLayout.ExpertMajor && spec.EffectiveAlignment > 1)
        {
            args.AddRange(["--expert-major-alignment", Text(spec.EffectiveAlignment)]);
        }

        if (spec.ZeroCopy)
        {
            args.Add("--zcopy");
        }

        return args;
    }

    /// <summary>
    /// Why ep_bench must not run this configuration at one rank, or null. HT ExpertMajor with more than 64 local experts
    /// hangs in NCCL EP (measured; DESIGN.md section 4), and at one rank every expert is local.
    /// </summary>
    public static string? RefusalAtOneRank(EpLayerSpec spec) => Refusal(spec, 1);

    /// <summary>Why ep_bench must not run this configuration at <paramref name="ranks"/> ranks, or null (see <see cref="RefusalAtOneRank"/>).</summary>
    public static string? Refusal(EpLayerSpec spec, int ranks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        if (spec.Experts % ranks != 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"not run: {spec.Experts} experts do not divide over {ranks} ranks");
        }

        int local = spec.Experts / ranks;
        return spec.Algorithm == EpAlgorithm.HighThroughput && spec.Layout == EpLayout.ExpertMajor && local > EpRules.MaxLocalExpertsExpertMajor
            ? string.Create(CultureInfo.InvariantCulture,
                $"not run: HT ExpertMajor at {(ranks == 1 ? "one rank" : ranks + " ranks")} has {local} local experts, above the {EpRules.MaxLocalExpertsExpertMajor} NCCL EP handles (it hangs)")
            : null;
    }

    /// <summary>
    /// The program and arguments that run ep_bench on <paramref name="ranks"/> ranks: <c>mpirun --allow-run-as-root -np N
    /// ep_bench …</c>, or at one rank without mpirun the binary alone (an MPI singleton). Null when N &gt; 1 and there is no
    /// mpirun (ep_bench's ranks are MPI processes).
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments)? Command(string binary, string? mpirun, int ranks, IReadOnlyList<string> benchArguments)
    {
        ArgumentNullException.ThrowIfNull(binary);
        ArgumentNullException.ThrowIfNull(benchArguments);
        if (mpirun is null)
        {
            return ranks == 1 ? (binary, benchArguments) : null;
        }

        return (mpirun, ["--allow-run-as-root", "-np", Text(ranks), binary, .. benchArguments]);
    }

    /// <summary>
    /// Whether mpirun must not inherit <paramref name="name"/>: a launcher's variable. Started from a rank of an ep-run
    /// (or mpirun, or Slurm) run, ep_bench's mpirun would otherwise see EP_RANK / EP_WORLD_SIZE / … (our launch), and
    /// OMPI_* / PMIX_* / PRTE_* / PMI_* of an enclosing mpirun, which make it try to join that job instead of starting
    /// its own. Every EP_* variable goes (ep_bench reads none); LD_LIBRARY_PATH, NCCL_*, CUDA_* stay, and so do the
    /// OpenMPI/PMIx/PRRTE settings (OMPI_MCA_*, PMIX_MCA_*, PRTE_MCA_*): a machine's MPI set-up, not a job's identity
    /// (without the device machine's own, mpirun -np 2 looked for ssh to start its local ranks and failed).
    /// </summary>
    public static bool IsLauncherVariable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains("_MCA_", StringComparison.Ordinal))
        {
            return false;
        }

        return name.StartsWith("EP_", StringComparison.Ordinal) || name.StartsWith("OMPI_", StringComparison.Ordinal)
            || name.StartsWith("PMIX_", StringComparison.Ordinal) || name.StartsWith("PRTE_", StringComparison.Ordinal)
            || name.StartsWith("PMI_", StringComparison.Ordinal) || name is "MASTER_ADDR" or "MASTER_PORT";
    }

    /// <summary>Removes every launcher variable (<see cref="IsLauncherVariable"/>) from <paramref name="environment"/>; returns their names, sorted.</summary>
    public static IReadOnlyList<string> Sanitize(IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var removed = new List<string>();
        foreach (string name in new List<string>(environment.Keys))
        {
            if (IsLauncherVariable(name))
            {
                environment.Remove(name);
                removed.Add(name);
            }
        }

        removed.Sort(StringComparer.Ordinal);
        return removed;
    }

    /// <summary>
    /// Runs ep_bench on <paramref name="ranks"/> ranks if <see cref="Variable"/> is set, with the launcher variables removed
    /// from its environment; never throws for ep_bench's own failures. The GPUs must be free (no Ep communicator alive).
    /// </summary>
    public static EpBenchResult Run(EpLayerSpec spec, int tokens, int warmup, int iterations, TimeSpan timeout, int ranks = 1)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? binary = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(binary))
        {
            return new EpBenchResult(null, null, $"{Variable} is not set (point it at NCCL EP's ep_bench to compare in the same run)", ranks);
        }

        if (!File.Exists(binary))
        {
            return new EpBenchResult(null, null, $"{Variable} is '{binary}', which is not a file", ranks);
        }

        if (Refusal(spec, ranks) is { } refusal)
        {
            return new EpBenchResult(null, null, refusal, ranks);
        }

        if (Command(binary, FindOnPath("mpirun"), ranks, Arguments(spec, tokens, warmup, iterations)) is not { } command)
        {
            return new EpBenchResult(null, null, string.Create(CultureInfo.InvariantCulture, $"mpirun is not on PATH: ep_bench runs {ranks} ranks as MPI processes"), ranks);
        }

        var startInfo = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in command.Arguments)
        {
            startInfo.ArgumentList.Add(a);
        }

        Sanitize(startInfo.Environment);
        string commandLine = startInfo.FileName + " " + string.Join(' ', startInfo.ArgumentList);
        try
        {
            (int exitCode, string output, bool timedOut) = RunProcess(startInfo, timeout);
            if (timedOut)
            {
                return new EpBenchResult(commandLine, null, string.Create(CultureInfo.InvariantCulture,
                    $"stopped after {timeout.TotalSeconds:F0} s (--ep-bench-timeout); last output: {Tail(output)}"), ranks);
            }

            if (exitCode != 0)
            {
                return new EpBenchResult(commandLine, null, string.Create(CultureInfo.InvariantCulture, $"exited with code {exitCode}; last output: {Tail(output)}"), ranks);
            }

            return new EpBenchResult(commandLine, EpBenchOutputParser.Parse(output), null, ranks);
        }
        catch (Exception e) when (e is FormatException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new EpBenchResult(commandLine, null, e.Message, ranks);
        }
    }

    private static (int ExitCode, string Output, bool TimedOut) RunProcess(ProcessStartInfo startInfo, TimeSpan timeout)
    {
        using var process = new Process { StartInfo = startInfo };
        var output = new StringBuilder();
        object gate = new();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (gate)
            {
                return (-1, output.ToString(), true);
            }
        }

        process.WaitForExit(); // drains the redirected streams
        lock (gate)
        {
            return (process.ExitCode, output.ToString(), false);
        }
    }

    private static string Tail(string output)
    {
        string[] lines = output.TrimEnd().Split('\n');
        return string.Join(" | ", lines[Math.Max(0, lines.Length - 6)..]).Trim();
    }

    private static string? FindOnPath(string name)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
