using System;
using System.Collections.Generic;
using System.Linq;

namespace Ep.Tool.Doctor;

/// <summary>Turns <c>--require gpu|nvrtc|nccl|nccl-ep|jit</c> into met or missing, so a script can gate on the exit code.</summary>
internal static class RequirementChecker
{
    /// <summary>The names <c>--require</c> accepts.</summary>
    public static readonly string[] Names = ["gpu", "nvrtc", "nccl", "nccl-ep", "jit"];

    /// <summary>One check per distinct name, in the order given.</summary>
    public static IReadOnlyList<RequirementCheck> Check(IEnumerable<string> required, CudaFacts cuda, LibraryFacts nvrtc, LibraryFacts nccl, NcclEpFacts ncclEp, JitFacts jit)
    {
        ArgumentNullException.ThrowIfNull(required);
        return required.Distinct(StringComparer.Ordinal).Select(name => name switch
        {
            "gpu" => new RequirementCheck(name, cuda.Devices.Count > 0, cuda.Problem ?? cuda.Devices.Count + " device(s)"),
            "nvrtc" => new RequirementCheck(name, nvrtc.Problem is null, nvrtc.Problem ?? "NVRTC " + nvrtc.Version),
            "nccl" => new RequirementCheck(name, nccl.Problem is null, nccl.Problem ?? "NCCL " + nccl.Version),
            "nccl-ep" => new RequirementCheck(name, ncclEp.Problem is null, ncclEp.Problem ?? "NCCL EP " + ncclEp.Version),
            "jit" => new RequirementCheck(name, jit.Problem is null, jit.Problem ?? "headers and nvcc found"),
            _ => new RequirementCheck(name, false, "unknown requirement; use one of " + string.Join(", ", Names)),
        }).ToList();
    }
}
