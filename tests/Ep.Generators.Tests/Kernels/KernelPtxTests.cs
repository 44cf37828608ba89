using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Ep.Generators.Emit;
using Ep.Generators.Model;
using Ep.Generators.Tests.Support;
using Xunit;

namespace Ep.Generators.Tests.Kernels;

/// <summary>
/// The CUDA source compiles to PTX without a GPU or a CUDA toolkit (DESIGN.md section 6): Debian's clang-14 compiles the
/// self-contained kernels once <c>tests/kernels/prelude.cuh</c> defines the CUDA keywords. A kernel that does not compile
/// fails here, in CI, instead of on the GPU machine.
/// </summary>
public sealed partial class KernelPtxTests
{
    private const string Clang = "clang-14";

    /// <summary>Every approved <c>.cu</c> snapshot (the header and macros of representative layers; the kernels follow).</summary>
    public static TheoryData<string> Snapshots() => new(
        Directory.GetFiles(Snapshot.Directory, "*.verified.cu").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Snapshots))]
    public void Snapshot_source_compiles_to_ptx_with_every_kernel(string fileName)
    {
        string source = File.ReadAllText(Path.Combine(Snapshot.Directory, fileName)) + Emit.LayerSnapshotTests.SharedKernels;

        CompileAndCheck(source, fileName);
    }

    /// <summary>The runtime's own kernels (native/runtime), which no layer's source holds: compiled alone, as the runtime compiles them.</summary>
    public static TheoryData<string> RuntimeKernels() => new(
        Directory.GetFiles(TestCompilation.InRepository("native", "runtime"), "*.cu").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(RuntimeKernels))]
    public void Runtime_kernel_compiles_to_ptx(string fileName) =>
        CompileAndCheck(File.ReadAllText(TestCompilation.InRepository("native", "runtime", fileName)), fileName);

    /// <summary>Layers whose constants drive different code paths: K = 1 and 32, wide and narrow rows, every layout.</summary>
    public static TheoryData<string> Layers() => new(LayerSpecs.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Layers))]
    public void Generated_source_compiles_to_ptx_with_every_kernel(string name)
    {
        var layer = new LayerModel("Samples", EquatableArray<ContainingType>.Empty, name, "public", LayerSpecs[name]);

        CompileAndCheck(CudaSourceBuilder.Build(layer), name + ".cu");
    }

    private static readonly Dictionary<string, EpLayerSpec> LayerSpecs = new()
    {
        ["TopOne"] = new EpLayerSpec { Experts = 8, TopK = 1, HiddenSize = 8, MaxTokensPerRank = 16 },
        ["DeepSeek"] = new EpLayerSpec { Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096 },
        ["TopK32ExpertMajor"] = new EpLayerSpec
        {
            Experts = 64, TopK = 32, HiddenSize = 2048, MaxTokensPerRank = 128, Layout = EpLayout.ExpertMajor, ExpertAlignment = 128,
            ApplyWeightsInCombine = true,
        },
        ["LowLatency"] = new EpLayerSpec
        {
            Experts = 32, TopK = 8, HiddenSize = 4096, MaxTokensPerRank = 128, Algorithm = EpAlgorithm.LowLatency, Layout = EpLayout.ExpertMajor,
        },
    };

    private static void CompileAndCheck(string source, string name)
    {
        string? clang = FindClang();
        if (clang is null)
        {
            const string Reason = Clang + " is not installed (apt-get install clang-14); the PTX compile check needs it.";
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
                Reason + " CI must have it.");
            Assert.Skip(Reason);
        }

        string folder = Path.Combine(Path.GetTempPath(), "ep-ptx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string input = Path.Combine(folder, Path.GetFileNameWithoutExtension(name) + ".cu");
            string output = Path.ChangeExtension(input, ".ptx");
            File.WriteAllText(input, source);
            string prelude = TestCompilation.InRepository("tests", "kernels", "prelude.cuh");
            (int exit, string log) = Run(clang, "-x", "cuda", "--cuda-device-only", "-nocudainc", "-nocudalib", "--cuda-gpu-arch=sm_80",
                "-S", "-Werror", "-include", prelude, "-o", output, input);

            Assert.True(exit == 0, $"{Clang} could not compile {name}:{Environment.NewLine}{log}");
            string ptx = File.ReadAllText(output);
            string[] declared = KernelName().Matches(source).Select(m => m.Groups[1].Value).Distinct().ToArray();
            Assert.NotEmpty(declared);
            foreach (string kernel in declared)
            {
                Assert.True(Regex.IsMatch(ptx, @"\.entry\s+" + Regex.Escape(kernel) + @"\("), $"{kernel} is missing from the PTX of {name}.");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string? FindClang()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(folder, Clang);
            if (folder.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static (int ExitCode, string Log) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + program);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr + stdout.Result);
    }

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(ep_\w+)\s*\(")]
    private static partial Regex KernelName();
}
