using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using Ep.Engines.NcclEp;
using Ep.Tool.Doctor;

namespace Ep.Tool;

/// <summary>
/// <c>ep doctor</c>: what this machine has for Ep (driver and GPUs, NVRTC, NCCL, NCCL EP, HT's nvcc and headers) and, for
/// an optional layer, which engine Auto would pick and why. Exits 1 when a piece named with <c>--require</c> is missing.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(ToolConsole console)
    {
        var layer = new LayerOptions(required: false);
        var require = new Option<string[]>("--require")
        {
            Description = "Exit 1 unless these are present: " + string.Join(", ", RequirementChecker.Names),
            AllowMultipleArgumentsPerToken = true,
        };
        require.AcceptOnlyFromAmong(RequirementChecker.Names);
        var json = new Option<bool>("--json") { Description = "Print only JSON" };
        var command = new Command("doctor", "What this machine has for Ep, and which engine Auto picks for a layer and why");
        layer.AddTo(command);
        command.Options.Add(require);
        command.Options.Add(json);
        command.SetAction(result =>
        {
            EpLayerSpec? spec = null;
            if (layer.AnySizeGiven(result))
            {
                var problems = new List<string>();
                spec = layer.ToSpec(result, problems);
                if (spec is null)
                {
                    return ToolExit.Usage(console, problems);
                }
            }

            bool asJson = result.GetValue(json);
            DoctorReport report = ToolProgress.Run(console, asJson, "Loading the CUDA driver", status =>
                Diagnose(spec, result.GetValue(layer.Ranks) ?? 1, result.GetValue(require) ?? [], status));
            if (asJson)
            {
                console.Out.WriteLine(ToolJson.Serialize(report));
            }
            else
            {
                DoctorReportWriter.Write(console.Rich(), report);
            }

            return report.ExitCode;
        });
        return command;
    }

    /// <summary>Probes everything and decides the exit code.</summary>
    public static DoctorReport Diagnose(EpLayerSpec? spec, int ranks, IEnumerable<string> required, Action<string> status)
    {
        ArgumentNullException.ThrowIfNull(status);
        CudaFacts cuda = MachineProbe.Cuda();
        status("Loading NVRTC");
        LibraryFacts nvrtc = MachineProbe.Nvrtc();
        status("Loading NCCL");
        LibraryFacts nccl = MachineProbe.Nccl();
        status("Loading NCCL EP");
        (NcclEpFacts ncclEp, NcclEpAvailability availability) = MachineProbe.NcclEp();
        status("Looking for NCCL EP's headers and nvcc");
        JitFacts jit = MachineProbe.HighThroughputJit();

        LayerFacts? layer = null;
        if (spec is not null)
        {
            status("Asking the engine selector");
            layer = EngineDecisions.Decide(spec, ranks, cuda, nccl, availability, Preference());
        }

        IReadOnlyList<RequirementCheck> requirements = RequirementChecker.Check(required, cuda, nvrtc, nccl, ncclEp, jit);
        int exitCode = requirements.All(r => r.Met) ? ToolExit.Success : ToolExit.Failure;
        return new DoctorReport(cuda, nvrtc, nccl, ncclEp, jit, layer, requirements, exitCode);
    }

    /// <summary>EP_ENGINE as a group would read it; Auto when it is unset or unreadable (doctor reports, it does not refuse).</summary>
    private static EpEnginePreference Preference()
    {
        try
        {
            return new EpGroupOptions().ResolveEngine();
        }
        catch (EpConfigurationException)
        {
            return EpEnginePreference.Auto;
        }
    }
}
