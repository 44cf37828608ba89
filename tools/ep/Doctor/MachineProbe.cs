using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using Ep.Engines.NcclEp;
using Ep.Interop;
using Ep.Interop.Cuda;

namespace Ep.Tool.Doctor;

/// <summary>
/// Asks this machine's native libraries what they are, with the same loader and search order the runtime uses, so
/// doctor's answer is what a group would find. Never throws: a missing piece becomes a problem line.
/// </summary>
internal static class MachineProbe
{
    /// <summary>The driver's version and every device with its architecture.</summary>
    public static CudaFacts Cuda()
    {
        if (!NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Cuda, out IntPtr handle, out string? error))
        {
            return new CudaFacts(null, [], "no CUDA driver: " + LoadProblem(NativeLibraryCandidates.Cuda, error));
        }

        string? library = LoadedLibraries.PathOf(handle, "cuInit");

        try
        {
            CudaResult init = CudaDriver.Init(0);
            string? version = CudaDriver.DriverGetVersion(out int code) == CudaResult.Success
                ? string.Create(CultureInfo.InvariantCulture, $"{code / 1000}.{code % 1000 / 10}")
                : null;
            if (init != CudaResult.Success)
            {
                return new CudaFacts(version, [], "the CUDA driver loaded but cuInit failed with " + init + " (no device visible, or a driver/kernel-module mismatch)", library);
            }

            CudaException.ThrowIfFailed(CudaDriver.DeviceGetCount(out int count));
            var devices = new List<GpuFacts>();
            for (int ordinal = 0; ordinal < count; ordinal++)
            {
                devices.Add(Device(ordinal));
            }

            return new CudaFacts(version, devices, count == 0 ? "the CUDA driver sees no device" : null, library);
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException or EpNativeLibraryException)
        {
            return new CudaFacts(null, [], "the CUDA driver failed: " + OneLine(e.Message), library);
        }
    }

    /// <summary>NVRTC's version, as the kernel compiler loads it.</summary>
    public static LibraryFacts Nvrtc()
    {
        if (!NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Nvrtc, out IntPtr handle, out string? error))
        {
            return new LibraryFacts(null, "NVRTC not found: " + LoadProblem(NativeLibraryCandidates.Nvrtc, error));
        }

        string? library = LoadedLibraries.PathOf(handle, "nvrtcVersion");
        try
        {
            return Interop.Nvrtc.Nvrtc.Version(out int major, out int minor) == Interop.Nvrtc.NvrtcResult.Success
                ? new LibraryFacts(string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}"), null, library)
                : new LibraryFacts(null, "nvrtcVersion failed", library);
        }
        catch (EntryPointNotFoundException e)
        {
            return new LibraryFacts(null, "NVRTC unusable: " + OneLine(e.Message));
        }
    }

    /// <summary>libnccl's version.</summary>
    public static LibraryFacts Nccl()
    {
        if (!NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Nccl, out IntPtr handle, out string? error))
        {
            return new LibraryFacts(null, "NCCL not found: " + LoadProblem(NativeLibraryCandidates.Nccl, error));
        }

        string? library = LoadedLibraries.PathOf(handle, "ncclGetVersion");
        try
        {
            return Interop.Nccl.Nccl.GetVersion(out int code) == Interop.Nccl.NcclResult.Success
                ? new LibraryFacts(Interop.NcclEp.NcclEpVersions.Format(code), null, library)
                : new LibraryFacts(null, "ncclGetVersion failed", library);
        }
        catch (EntryPointNotFoundException e)
        {
            return new LibraryFacts(null, "NCCL unusable: " + OneLine(e.Message));
        }
    }

    /// <summary>
    /// NCCL EP through <see cref="NcclEpAvailability.Probe"/>, the selector's own input. Call after <see cref="Nccl"/>:
    /// libnccl_ep needs libnccl.so.2, which the loader finds by that name only once EP_NCCL_LIBRARY's copy is loaded
    /// (or on LD_LIBRARY_PATH).
    /// </summary>
    public static (NcclEpFacts Facts, NcclEpAvailability Availability) NcclEp()
    {
        NcclEpAvailability availability = NcclEpAvailability.Probe();
        Interop.NcclEp.NcclEpVersions? versions = availability.Versions;
        string? problem = availability.Problem ?? versions?.Problem();
        string? library = null;
        if (versions is null)
        {
            problem += LoaderReason(NativeLibraryCandidates.NcclEp);
        }
        else if (NativeLibraryLoader.TryLoad(NativeLibraryCandidates.NcclEp, out IntPtr handle, out _))
        {
            library = LoadedLibraries.PathOf(handle, "ncclEpGetVersion");
        }

        IReadOnlyList<string> ncclCopies = LoadedLibraries.Copies("libnccl.so");
        string? warning = ncclCopies.Count > 1
            ? "more than one libnccl is loaded (" + string.Join(", ", ncclCopies) + "): NCCL EP may run on another copy than the one Ep checked; "
              + "set EP_NCCL_LIBRARY to the libnccl NCCL EP was built with and put its folder first on LD_LIBRARY_PATH"
            : null;
        return (new NcclEpFacts(
            versions is null ? null : Interop.NcclEp.NcclEpVersions.Format(versions.NcclEpCode),
            versions is null ? null : Interop.NcclEp.NcclEpVersions.Format(versions.NcclCode),
            problem, library, warning), availability);
    }

    /// <summary>Headers and nvcc for NCCL EP HT's run-time compile, resolved against this environment and file system.</summary>
    public static JitFacts HighThroughputJit()
    {
        NcclEpJitEnvironment jit = NcclEpJitEnvironment.Resolve(Environment.GetEnvironmentVariable, Directory.Exists, File.Exists);
        return new JitFacts(jit.VariablesToSet, jit.Problem);
    }

    private static unsafe GpuFacts Device(int ordinal)
    {
        CudaException.ThrowIfFailed(CudaDriver.DeviceGet(out int device, ordinal));
        byte* buffer = stackalloc byte[256];
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetName(buffer, 256, device));
        string name = new string((sbyte*)buffer);
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetAttribute(out int major, CudaDeviceAttribute.ComputeCapabilityMajor, device));
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetAttribute(out int minor, CudaDeviceAttribute.ComputeCapabilityMinor, device));
        CudaException.ThrowIfFailed(CudaDriver.DeviceGetAttribute(out int sms, CudaDeviceAttribute.MultiprocessorCount, device));
        return new GpuFacts(ordinal, name, new GpuCapability(major, minor, sms).Architecture, sms);
    }

    /// <summary>The runtime loader's message as one line, with the dynamic linker's reason when an override path was set.</summary>
    private static string LoadProblem(NativeLibraryCandidates candidates, string? error) => OneLine(error) + LoaderReason(candidates);

    /// <summary>
    /// When <paramref name="candidates"/>' override variable names a file that did not load: " (the dynamic linker: …)"
    /// with dlerror's text, e.g. a missing dependency such as libnccl.so.2; otherwise empty. The runtime's loader tries
    /// quietly, so the reason is asked for once more here.
    /// </summary>
    internal static string LoaderReason(NativeLibraryCandidates candidates)
    {
        string? path = Environment.GetEnvironmentVariable(candidates.OverrideVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return "";
        }

        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return "";
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            string[] lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "" : " (the dynamic linker: " + lines[^1] + ")";
        }
    }

    /// <summary>The loader's multi-line message as one line: the tried paths joined by commas.</summary>
    private static string OneLine(string? text) =>
        string.Join(", ", (text ?? "unknown").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Replace(":, ", ": ", StringComparison.Ordinal);
}
