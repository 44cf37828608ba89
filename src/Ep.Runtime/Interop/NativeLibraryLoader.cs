using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Ep.Interop;

/// <summary>A native library could not be loaded; the message lists every place tried and why each failed.</summary>
public sealed class EpNativeLibraryException : DllNotFoundException
{
    /// <summary>Creates the exception.</summary>
    public EpNativeLibraryException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Resolves the logical names used in <c>[LibraryImport]</c> ("cuda", "nvrtc", "nccl", "nccl_ep") to real libraries,
/// once per process, following <see cref="NativeLibraryCandidates"/>.
/// </summary>
internal static class NativeLibraryLoader
{
    private static readonly ConcurrentDictionary<string, Lazy<IntPtr>> Loaded = new();

    private static readonly Dictionary<string, NativeLibraryCandidates> ByName = new()
    {
        [NativeLibraryCandidates.Cuda.LogicalName] = NativeLibraryCandidates.Cuda,
        [NativeLibraryCandidates.Nvrtc.LogicalName] = NativeLibraryCandidates.Nvrtc,
        [NativeLibraryCandidates.Nccl.LogicalName] = NativeLibraryCandidates.Nccl,
        [NativeLibraryCandidates.NcclEp.LogicalName] = NativeLibraryCandidates.NcclEp,
    };

#pragma warning disable CA2255 // The resolver must be in place before the first P/Invoke of this assembly runs.
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    /// <summary>Loads <paramref name="candidates"/>'s library, or throws listing every attempt.</summary>
    public static IntPtr Load(NativeLibraryCandidates candidates) =>
        Loaded.GetOrAdd(candidates.LogicalName, _ => new Lazy<IntPtr>(() => LoadFirst(candidates, Environment.GetEnvironmentVariable))).Value;

    /// <summary>True when the library loads; never throws.</summary>
    public static bool TryLoad(NativeLibraryCandidates candidates, out IntPtr handle, out string? error)
    {
        try
        {
            handle = Load(candidates);
            error = null;
            return true;
        }
        catch (EpNativeLibraryException e)
        {
            handle = IntPtr.Zero;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Tries each candidate in order; the exception's message names each and the loader's reason.</summary>
    internal static IntPtr LoadFirst(NativeLibraryCandidates candidates, Func<string, string?> environment)
    {
        var failures = new List<string>();
        foreach (string candidate in candidates.SearchOrder(environment))
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                return handle;
            }

            failures.Add("  " + candidate);
        }

        string hint = environment(candidates.OverrideVariable) is { Length: > 0 }
            ? $"{candidates.OverrideVariable} is set, so only that path was tried; check that it exists and matches this machine's architecture."
            : $"Set {candidates.OverrideVariable} to the library's full path, or install it where the loader or CUDA_HOME finds it.";
        throw new EpNativeLibraryException(
            $"Could not load the {candidates.LogicalName} library. Tried, in order:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}{Environment.NewLine}{hint}");
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        ByName.TryGetValue(libraryName, out NativeLibraryCandidates? candidates) ? Load(candidates) : IntPtr.Zero;
}
