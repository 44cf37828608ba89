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
internal sealed record EpBenchResult(string? CommandLine, EpBenchFigures? Figures, string? Problem);

/// <summary>
/// Runs NVIDIA's own benchmark for the same configuration in the same session: the binary named by
/// <c>EP_NCCL_EP_BENCH</c>, one rank (<c>mpirun --allow-run-as-root -np 1</c>, or the binary alone as an MPI singleton
/// when no mpirun is on PATH), with ep_bench's flags for our layer, under a time limit.
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
    public static string? RefusalAtOneRank(EpLayerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Algorithm == EpAlgorithm.HighThroughput && spec.Layout == EpLayout.ExpertMajor && spec.Experts > EpRules.MaxLocalExpertsExpertMajor
            ? string.Create(CultureInfo.InvariantCulture,
                $"not run: HT ExpertMajor at one rank has {spec.Experts} local experts, above the {EpRules.MaxLocalExpertsExpertMajor} NCCL EP handles (it hangs)")
            : null;
    }

    /// <summary>Runs ep_bench if <see cref="Variable"/> is set; never throws for ep_bench's own failures.</summary>
    public static EpBenchResult Run(EpLayerSpec spec, int tokens, int warmup, int iterations, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? binary = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(binary))
        {
            return new EpBenchResult(null, null, $"{Variable} is not set (point it at NCCL EP's ep_bench to compare in the same run)");
        }

        if (!File.Exists(binary))
        {
            return new EpBenchResult(null, null, $"{Variable} is '{binary}', which is not a file");
        }

        if (RefusalAtOneRank(spec) is { } refusal)
        {
            return new EpBenchResult(null, null, refusal);
        }

        string? mpirun = FindOnPath("mpirun");
        var startInfo = new ProcessStartInfo(mpirun ?? binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (mpirun is not null)
        {
            foreach (string a in (string[])["--allow-run-as-root", "-np", "1", binary])
            {
                startInfo.ArgumentList.Add(a);
            }
        }

        foreach (string a in Arguments(spec, tokens, warmup, iterations))
        {
            startInfo.ArgumentList.Add(a);
        }

        string commandLine = startInfo.FileName + " " + string.Join(' ', startInfo.ArgumentList);
        try
        {
            (int exitCode, string output, bool timedOut) = RunProcess(startInfo, timeout);
            if (timedOut)
            {
                return new EpBenchResult(commandLine, null, string.Create(CultureInfo.InvariantCulture,
                    $"stopped after {timeout.TotalSeconds:F0} s (--ep-bench-timeout); last output: {Tail(output)}"));
            }

            if (exitCode != 0)
            {
                return new EpBenchResult(commandLine, null, string.Create(CultureInfo.InvariantCulture, $"exited with code {exitCode}; last output: {Tail(output)}"));
            }

            return new EpBenchResult(commandLine, EpBenchOutputParser.Parse(output), null);
        }
        catch (Exception e) when (e is FormatException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new EpBenchResult(commandLine, null, e.Message);
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
