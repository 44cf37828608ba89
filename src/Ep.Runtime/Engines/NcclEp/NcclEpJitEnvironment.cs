using System;
using System.Collections.Generic;
using System.IO;
using Ep.Interop;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The environment NCCL EP's HighThroughput mode needs for its run-time nvcc compile: headers under
/// <c>NCCL_EP_HOME/include/nccl_ep</c>, NCCL's under <c>NCCL_HOME/include</c>, and nvcc (CUDA_HOME/bin). When a
/// variable is unset it is derived from <c>EP_NCCL_EP_LIBRARY</c>'s install prefix (<c>&lt;prefix&gt;/lib/libnccl_ep.so</c>
/// → <c>&lt;prefix&gt;</c>). Pure: the file system is passed in. A failed JIT calls abort() inside NCCL EP, so a missing
/// piece must be reported here, before the first HT group.
/// </summary>
/// <param name="VariablesToSet">Variables to export before the first HT call (empty when nothing is missing).</param>
/// <param name="Problem">Why the compile cannot work, or null.</param>
internal sealed record NcclEpJitEnvironment(IReadOnlyDictionary<string, string> VariablesToSet, string? Problem)
{
    /// <summary>Works out the variables; <paramref name="directoryExists"/>/<paramref name="fileExists"/> answer for paths.</summary>
    public static NcclEpJitEnvironment Resolve(Func<string, string?> environment, Func<string, bool> directoryExists, Func<string, bool> fileExists)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(directoryExists);
        ArgumentNullException.ThrowIfNull(fileExists);
        var set = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        string? prefix = InstallPrefix(environment(NativeLibraryCandidates.NcclEp.OverrideVariable));

        ResolveHeaders(environment, directoryExists, fileExists, prefix, set, problems);
        ResolveNvcc(environment, fileExists, set, problems);
        return new NcclEpJitEnvironment(set, problems.Count == 0 ? null : string.Join(" ", problems));
    }

    /// <summary>The install prefix of a library path: <c>/opt/nccl_ep/lib/libnccl_ep.so</c> → <c>/opt/nccl_ep</c> (also lib64); null otherwise.</summary>
    public static string? InstallPrefix(string? libraryPath)
    {
        if (string.IsNullOrWhiteSpace(libraryPath))
        {
            return null;
        }

        string? libDirectory = Path.GetDirectoryName(libraryPath.TrimEnd('/'));
        string? name = libDirectory is null ? null : Path.GetFileName(libDirectory);
        return name is "lib" or "lib64" ? Path.GetDirectoryName(libDirectory) : null;
    }

    private static void ResolveHeaders(Func<string, string?> environment, Func<string, bool> directoryExists, Func<string, bool> fileExists,
        string? prefix, Dictionary<string, string> set, List<string> problems)
    {
        // NCCL EP reads NCCL_EP_JIT_SOURCE_DIR first, then NCCL_EP_HOME/include/nccl_ep (jit_runtime.cc).
        if (IsUnset(environment("NCCL_EP_JIT_SOURCE_DIR")))
        {
            string? home = environment("NCCL_EP_HOME");
            string variableNote = IsUnset(home) ? "derived from EP_NCCL_EP_LIBRARY" : "from NCCL_EP_HOME";
            home = IsUnset(home) ? prefix : home;
            if (home is null)
            {
                problems.Add("NCCL EP HT compiles its kernels with nvcc at run time and needs its headers: set NCCL_EP_HOME (the folder holding include/nccl_ep), or EP_NCCL_EP_LIBRARY=<prefix>/lib/libnccl_ep.so so Ep can derive it.");
            }
            else if (!directoryExists(Path.Combine(home, "include", "nccl_ep")))
            {
                problems.Add($"NCCL EP's headers are missing: {Path.Combine(home, "include", "nccl_ep")} does not exist (NCCL_EP_HOME {variableNote}); install NCCL EP with its headers or set NCCL_EP_HOME.");
            }
            else if (IsUnset(environment("NCCL_EP_HOME")))
            {
                set["NCCL_EP_HOME"] = home;
            }
        }

        // Then NCCL_EP_JIT_BUILD_INCLUDE_DIR, else NCCL_HOME/include: nccl.h and nccl_device/.
        if (IsUnset(environment("NCCL_EP_JIT_BUILD_INCLUDE_DIR")) && IsUnset(environment("NCCL_HOME")))
        {
            string? ncclHome = FirstWithNcclHeader(fileExists, prefix, InstallPrefix(environment(NativeLibraryCandidates.Nccl.OverrideVariable)));
            if (ncclHome is null)
            {
                problems.Add("NCCL EP HT's run-time compile needs NCCL's headers (nccl.h, nccl_device/): set NCCL_HOME, or install them under the prefix of EP_NCCL_EP_LIBRARY or EP_NCCL_LIBRARY (<prefix>/include/nccl.h).");
            }
            else
            {
                set["NCCL_HOME"] = ncclHome;
            }
        }
    }

    private static string? FirstWithNcclHeader(Func<string, bool> fileExists, params string?[] prefixes)
    {
        foreach (string? prefix in prefixes)
        {
            if (prefix is not null && fileExists(Path.Combine(prefix, "include", "nccl.h")))
            {
                return prefix;
            }
        }

        return null;
    }

    private static void ResolveNvcc(Func<string, string?> environment, Func<string, bool> fileExists, Dictionary<string, string> set, List<string> problems)
    {
        // nvcc_compiler.cc: NCCL_EP_JIT_NVCC, then NVCC, then CUDA_HOME (or CUDA_PATH)/bin/nvcc, then "nvcc" on PATH.
        foreach (string variable in new[] { "NCCL_EP_JIT_NVCC", "NVCC" })
        {
            string? explicitNvcc = environment(variable);
            if (!IsUnset(explicitNvcc))
            {
                if (explicitNvcc!.Contains('/', StringComparison.Ordinal) && !fileExists(explicitNvcc))
                {
                    problems.Add($"{variable}={explicitNvcc} does not exist; NCCL EP HT needs nvcc for its run-time compile.");
                }

                return;
            }
        }

        string? cudaHome = environment("CUDA_HOME");
        cudaHome = IsUnset(cudaHome) ? environment("CUDA_PATH") : cudaHome;
        if (!IsUnset(cudaHome))
        {
            if (!fileExists(Path.Combine(cudaHome!, "bin", "nvcc")))
            {
                problems.Add($"nvcc is missing: {Path.Combine(cudaHome!, "bin", "nvcc")} does not exist; NCCL EP HT compiles its kernels with nvcc at run time, so point CUDA_HOME at a CUDA toolkit or set NCCL_EP_JIT_NVCC.");
            }

            return;
        }

        const string defaultToolkit = "/usr/local/cuda";
        if (fileExists(Path.Combine(defaultToolkit, "bin", "nvcc")))
        {
            set["CUDA_HOME"] = defaultToolkit;
            return;
        }

        foreach (string folder in (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (fileExists(Path.Combine(folder, "nvcc")))
            {
                return;
            }
        }

        problems.Add("nvcc not found (CUDA_HOME unset, no /usr/local/cuda/bin/nvcc, none on PATH); NCCL EP HT compiles its kernels with nvcc at run time: set CUDA_HOME or NCCL_EP_JIT_NVCC.");
    }

    private static bool IsUnset(string? value) => string.IsNullOrWhiteSpace(value);
}
