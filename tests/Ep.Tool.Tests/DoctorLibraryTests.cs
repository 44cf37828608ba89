using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Ep.Tool.Bench;
using Ep.Tool.Doctor;
using Xunit;

namespace Ep.Tool.Tests;

/// <summary>
/// ep doctor against stand-in native libraries laid out as on this project's GPU machine: libnccl.so.2 and
/// libnccl_ep.so.0 (which needs libnccl.so.2) in a folder the loader does not search, named by EP_NCCL_LIBRARY and
/// EP_NCCL_EP_LIBRARY, NCCL EP's headers under that prefix and nvcc under CUDA_HOME/bin. The stand-ins export only the
/// version functions; they are compiled with the machine's C compiler (skipped without one). Each case runs ep in its
/// own process, because a process loads each library once.
/// </summary>
public class DoctorLibraryTests
{
    [Fact]
    public async Task Nccl_and_nccl_ep_from_their_variables_load_in_order_and_report_their_files()
    {
        using var machine = await FakeMachine.CreateAsync();

        var (exitCode, output, error) = await RunDoctor(machine, withNcclVariable: true, "--require", "nccl", "nccl-ep", "jit", "--json");

        Assert.True(exitCode == 0, output + error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement nccl = json.RootElement.GetProperty("nccl");
        Assert.Equal("2.30.3", nccl.GetProperty("version").GetString());
        Assert.Equal(machine.Nccl, nccl.GetProperty("library").GetString());
        JsonElement ncclEp = json.RootElement.GetProperty("ncclEp");
        Assert.Equal("0.1.0", ncclEp.GetProperty("version").GetString());
        Assert.Equal("2.30.3", ncclEp.GetProperty("ncclVersion").GetString());
        Assert.Equal(machine.NcclEp, ncclEp.GetProperty("library").GetString());
        Assert.False(ncclEp.TryGetProperty("warning", out _));
        Assert.False(ncclEp.TryGetProperty("problem", out _));
        // The headers come from EP_NCCL_EP_LIBRARY's prefix (Ep would set NCCL_EP_HOME and NCCL_HOME), nvcc from CUDA_HOME.
        JsonElement jit = json.RootElement.GetProperty("highThroughputJit");
        Assert.False(jit.TryGetProperty("problem", out _));
        Assert.Equal(machine.Prefix, jit.GetProperty("variablesToSet").GetProperty("NCCL_EP_HOME").GetString());
    }

    [Fact]
    public async Task Without_its_libnccl_nccl_ep_is_reported_with_the_dynamic_linkers_reason()
    {
        using var machine = await FakeMachine.CreateAsync();

        var (exitCode, output, error) = await RunDoctor(machine, withNcclVariable: false, "--require", "nccl-ep", "--json");

        Assert.True(exitCode == 1, output + error);
        using JsonDocument json = JsonDocument.Parse(output);
        string problem = json.RootElement.GetProperty("ncclEp").GetProperty("problem").GetString()!;
        Assert.Contains("EP_NCCL_EP_LIBRARY=" + machine.NcclEp + " does not load", problem, StringComparison.Ordinal);
        Assert.Contains("(the dynamic linker: libnccl.so.2: cannot open shared object file", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_mapping_that_holds_an_address_names_the_file()
    {
        string[] maps =
        [
            "7f0000000000-7f0000001000 r--p 00000000 08:01 11 /opt/nccl/lib/libnccl.so.2.30.3",
            "7f0000001000-7f0000005000 r-xp 00001000 08:01 11 /opt/nccl/lib/libnccl.so.2.30.3",
            "7f0000005000-7f0000006000 rw-p 00000000 00:00 0 ",
            "7f1000000000-7f1000002000 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/libnccl.so.2.18.1",
            "7f2000000000-7f2000002000 r-xp 00000000 08:01 13 /opt/nccl/lib/libnccl_ep.so.0",
            "7f3000000000-7f3000002000 r-xp 00000000 08:01 14 /opt/my dir/libx.so",
        ];

        Assert.Equal("/opt/nccl/lib/libnccl.so.2.30.3", LoadedLibraries.MappingOf(maps, 0x7f0000002345));
        Assert.Null(LoadedLibraries.MappingOf(maps, 0x7f0000005010));
        Assert.Equal("/opt/my dir/libx.so", LoadedLibraries.MappingOf(maps, 0x7f3000000001));
        Assert.Equal(["/opt/nccl/lib/libnccl.so.2.30.3", "/usr/lib/x86_64-linux-gnu/libnccl.so.2.18.1"], LoadedLibraries.Copies(maps, "libnccl.so"));
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunDoctor(FakeMachine machine, bool withNcclVariable, params string[] arguments)
    {
        var start = new ProcessStartInfo(BenchLocator.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ep.dll"));
        start.ArgumentList.Add("doctor");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string variable in new[] { "EP_NCCL_LIBRARY", "NCCL_EP_HOME", "NCCL_HOME", "NCCL_EP_JIT_SOURCE_DIR", "NCCL_EP_JIT_BUILD_INCLUDE_DIR", "NCCL_EP_JIT_NVCC", "NVCC", "CUDA_PATH", "LD_LIBRARY_PATH" })
        {
            start.Environment.Remove(variable);
        }

        start.Environment["EP_NCCL_EP_LIBRARY"] = machine.NcclEp;
        start.Environment["CUDA_HOME"] = machine.CudaHome;
        if (withNcclVariable)
        {
            start.Environment["EP_NCCL_LIBRARY"] = machine.Nccl;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>A prefix with lib/libnccl.so.2, lib/libnccl_ep.so.0, include/nccl_ep/, include/nccl.h, and cuda/bin/nvcc.</summary>
    private sealed class FakeMachine : IDisposable
    {
        private FakeMachine(string prefix) => Prefix = prefix;

        public string Prefix { get; }

        public string Nccl => Path.Combine(Prefix, "lib", "libnccl.so.2");

        public string NcclEp => Path.Combine(Prefix, "lib", "libnccl_ep.so.0");

        public string CudaHome => Path.Combine(Prefix, "cuda");

        public static async Task<FakeMachine> CreateAsync()
        {
            Assert.SkipUnless(OperatingSystem.IsLinux(), "the stand-in libraries are ELF shared objects");
            string? compiler = new[] { "cc", "gcc", "clang", "clang-14" }.FirstOrDefault(OnPath);
            Assert.SkipWhen(compiler is null, "no C compiler (cc, gcc, clang) to build the stand-in libraries");

            var machine = new FakeMachine(Path.Combine(Path.GetTempPath(), "ep-doctor-" + Guid.NewGuid().ToString("N")));
            string lib = Path.Combine(machine.Prefix, "lib");
            Directory.CreateDirectory(lib);
            Directory.CreateDirectory(Path.Combine(machine.Prefix, "include", "nccl_ep"));
            File.WriteAllText(Path.Combine(machine.Prefix, "include", "nccl.h"), "");
            Directory.CreateDirectory(Path.Combine(machine.CudaHome, "bin"));
            File.WriteAllText(Path.Combine(machine.CudaHome, "bin", "nvcc"), "");
            string ncclSource = Path.Combine(machine.Prefix, "nccl.c");
            string ncclEpSource = Path.Combine(machine.Prefix, "nccl_ep.c");
            File.WriteAllText(ncclSource, "int ncclGetVersion(int* v) { *v = 23003; return 0; }\n");
            File.WriteAllText(ncclEpSource, "extern int ncclGetVersion(int*);\nint ncclEpGetVersion(int* v) { int n; *v = 100; return ncclGetVersion(&n); }\n");
            await Compile(compiler!, ["-shared", "-fPIC", "-o", machine.Nccl, "-Wl,-soname,libnccl.so.2", ncclSource]);
            // Linked against libnccl.so.2 by soname, with no run path: as a separately built NCCL EP is.
            await Compile(compiler!, ["-shared", "-fPIC", "-o", machine.NcclEp, "-Wl,-soname,libnccl_ep.so.0", ncclEpSource, "-L" + lib, "-l:libnccl.so.2"]);
            return machine;
        }

        public void Dispose()
        {
            if (Directory.Exists(Prefix))
            {
                Directory.Delete(Prefix, recursive: true);
            }
        }

        private static bool OnPath(string program) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(folder => File.Exists(Path.Combine(folder, program)));

        private static async Task Compile(string compiler, IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            string error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(process.ExitCode == 0, compiler + " failed: " + error + await output);
        }
    }
}
