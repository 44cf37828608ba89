using System;
using System.Globalization;
using Ep.Interop;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>Whether NCCL EP loaded in this process, with its versions, or a one-line reason why not.</summary>
internal sealed record NcclEpAvailability
{
    private NcclEpAvailability(NcclEpVersions? versions, string? problem)
    {
        Versions = versions;
        Problem = problem;
    }

    /// <summary>The versions both libraries report; null when loading failed.</summary>
    public NcclEpVersions? Versions { get; }

    /// <summary>Why NCCL EP cannot be used (one line); null when it loaded. Version mismatches are the selector's to judge.</summary>
    public string? Problem { get; }

    /// <summary>Both libraries loaded and reported <paramref name="versions"/>.</summary>
    public static NcclEpAvailability Loaded(NcclEpVersions versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        return new NcclEpAvailability(versions, null);
    }

    /// <summary>
    /// libnccl_ep was not found: "NCCL EP not found (EP_NCCL_EP_LIBRARY unset; tried libnccl_ep.so.0, libnccl_ep.so)",
    /// or, with the override set, "(EP_NCCL_EP_LIBRARY=/path does not load)". Pure: the names come from the search order.
    /// </summary>
    public static NcclEpAvailability NotFound(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        NativeLibraryCandidates candidates = NativeLibraryCandidates.NcclEp;
        string? overridePath = environment(candidates.OverrideVariable);
        string detail = string.IsNullOrWhiteSpace(overridePath)
            ? string.Create(CultureInfo.InvariantCulture, $"{candidates.OverrideVariable} unset; tried {string.Join(", ", candidates.SearchOrder(environment))}")
            : string.Create(CultureInfo.InvariantCulture, $"{candidates.OverrideVariable}={overridePath} does not load");
        return new NcclEpAvailability(null, "NCCL EP not found (" + detail + ")");
    }

    /// <summary>Loading or querying failed for another reason (e.g. libnccl missing); <paramref name="why"/> is flattened to one line.</summary>
    public static NcclEpAvailability Failed(string why)
    {
        ArgumentNullException.ThrowIfNull(why);
        return new NcclEpAvailability(null, "NCCL EP unusable: " + string.Join(" ", why.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
    }

    /// <summary>Loads libnccl_ep and libnccl and reads their versions. Never throws.</summary>
    public static NcclEpAvailability Probe()
    {
        // libnccl_ep needs libnccl.so.2: EP_NCCL_LIBRARY's copy is loaded first, so that the dynamic linker resolves
        // that dependency to it (by soname) without LD_LIBRARY_PATH, and no second, system libnccl comes in.
        NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Nccl, out _, out _);
        if (!NativeLibraryLoader.TryLoad(NativeLibraryCandidates.NcclEp, out _, out _))
        {
            return NotFound(Environment.GetEnvironmentVariable);
        }

        try
        {
            return Loaded(NcclEpVersions.Read());
        }
        catch (Exception e) when (e is EpNativeLibraryException or EntryPointNotFoundException or Interop.Nccl.NcclException)
        {
            return Failed(e.Message);
        }
    }
}
