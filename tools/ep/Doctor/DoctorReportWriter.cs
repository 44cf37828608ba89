using System;
using System.Linq;
using Spectre.Console;

namespace Ep.Tool.Doctor;

/// <summary>Renders a <see cref="DoctorReport"/> for people: one line per piece, ✓ or ✗, then the layer's decisions.</summary>
internal static class DoctorReportWriter
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="console"/>.</summary>
    public static void Write(IAnsiConsole console, DoctorReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        CudaFacts cuda = report.Cuda;
        Line(console, "CUDA driver", cuda.Devices.Count > 0,
            cuda.Problem ?? $"{cuda.DriverVersion}, {cuda.Devices.Count} device(s)" + From(cuda.Library));
        foreach (GpuFacts gpu in cuda.Devices)
        {
            console.MarkupLine(Markup.Escape($"    GPU {gpu.Ordinal}: {gpu.Name}, {gpu.Architecture}, {gpu.Multiprocessors} SMs"));
        }

        Line(console, "NVRTC", report.Nvrtc.Problem is null, report.Nvrtc.Problem ?? report.Nvrtc.Version! + From(report.Nvrtc.Library));
        Line(console, "NCCL", report.Nccl.Problem is null, report.Nccl.Problem ?? report.Nccl.Version! + From(report.Nccl.Library));
        Line(console, "NCCL EP", report.NcclEp.Problem is null,
            report.NcclEp.Problem ?? $"{report.NcclEp.Version} on NCCL {report.NcclEp.NcclVersion}" + From(report.NcclEp.Library));
        if (report.NcclEp.Warning is { } warning)
        {
            console.MarkupLine("[yellow]![/] " + Markup.Escape("NCCL EP: " + warning));
        }

        string jitDetail = report.HighThroughputJit.Problem
            ?? (report.HighThroughputJit.VariablesToSet.Count == 0
                ? "headers and nvcc found"
                : "headers and nvcc found; Ep will set " + string.Join(", ", report.HighThroughputJit.VariablesToSet.Select(kv => kv.Key + "=" + kv.Value)));
        Line(console, "HT run-time compile", report.HighThroughputJit.Problem is null, jitDetail);

        if (report.Layer is { } layer)
        {
            console.WriteLine();
            console.MarkupLine(Markup.Escape($"Layer ({layer.Mode}, {layer.Ranks} ranks):"));
            foreach (string rule in layer.RuleViolations)
            {
                console.MarkupLine("  rule: " + Markup.Escape(rule));
            }

            foreach (string problem in layer.NcclEpProblems)
            {
                console.MarkupLine("  NCCL EP: " + Markup.Escape(problem));
            }

            foreach (EngineDecision decision in layer.Decisions)
            {
                console.MarkupLine(Markup.Escape($"  Auto with {decision.Processes}: {decision.Engine?.ToString() ?? "no engine"} — {decision.Reason}"));
            }
        }

        if (report.Requirements.Count > 0)
        {
            console.WriteLine();
            foreach (RequirementCheck requirement in report.Requirements)
            {
                Line(console, "required " + requirement.Name, requirement.Met, requirement.Detail);
            }
        }
    }

    private static string From(string? library) => library is null ? "" : " (" + library + ")";

    private static void Line(IAnsiConsole console, string what, bool ok, string detail) =>
        console.MarkupLine((ok ? "[green]✓[/] " : "[red]✗[/] ") + Markup.Escape(what + ": " + detail));
}
