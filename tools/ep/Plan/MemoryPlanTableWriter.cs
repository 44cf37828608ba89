using System;
using System.Globalization;
using System.Linq;
using Spectre.Console;

namespace Ep.Tool.Plan;

/// <summary>Renders a <see cref="MemoryPlanReport"/> as a table and the worst-case sentence, for people.</summary>
internal static class MemoryPlanTableWriter
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="console"/>.</summary>
    public static void Write(IAnsiConsole console, MemoryPlanReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        EpLayerSpec layer = report.Layer;
        string budget = layer.MemoryBudgetGiB > 0
            ? string.Create(CultureInfo.InvariantCulture, $", budget {layer.MemoryBudgetGiB:0.###} GiB")
            : "";
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Receive memory per rank: {layer.Experts} experts, top-{layer.TopK}, hidden {layer.HiddenSize}, {layer.MaxTokensPerRank:N0} tokens per rank, {report.Ranks} ranks{budget}")));

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("mode");
        table.AddColumn(new TableColumn("local experts").RightAligned());
        table.AddColumn(new TableColumn("rows").RightAligned());
        table.AddColumn(new TableColumn("bytes (plan)").RightAligned());
        table.AddColumn(new TableColumn("GiB (plan)").RightAligned());
        table.AddColumn(new TableColumn("Staged receive GiB").RightAligned());
        table.AddColumn(new TableColumn("NcclEp receive GiB").RightAligned());
        table.AddColumn(new TableColumn("Staged total GiB").RightAligned());
        table.AddColumn(new TableColumn("NcclEp total GiB").RightAligned());
        table.AddColumn("rules broken at this rank count");
        foreach (MemoryPlanRow row in report.Rows)
        {
            string rules = row.Violations.Count == 0
                ? "none"
                : string.Join(Environment.NewLine, row.Violations.Select(v => $"{v.Id} ({v.Severity.ToString().ToLowerInvariant()}): {v.Message}"));
            table.AddRow(
                new Text(row.Mode),
                new Text(row.Plan.LocalExperts.ToString(CultureInfo.InvariantCulture)),
                new Text(row.Plan.ReceiveRows.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(row.Plan.TotalBytes.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(row.Plan.TotalGiB.ToString("F2", CultureInfo.InvariantCulture)),
                new Text(Gib(row.StagedReceiveBytes)),
                new Text(Gib(row.NcclEpReceiveBytes)),
                new Text(Gib(row.StagedEngineBytes)),
                new Text(Gib(row.NcclEpEngineBytes)),
                new Text(rules));
        }

        console.Write(table);
        foreach (MemoryPlanRow row in report.Rows)
        {
            console.MarkupLine(Markup.Escape($"{row.Mode} rows: {row.Formula}"));
        }

        console.MarkupLine("[bold]Worst case:[/] " + Markup.Escape(report.WorstCaseExplanation));
        console.MarkupLine(Markup.Escape("Engines: the plan is the Reference engine's contract; Staged and NcclEp allocate their receive buffers as shown "
            + "(Staged expert-major also keeps the Flat rows it receives into). The totals add every other buffer an engine holds for the layer "
            + "(permute, backward, staging; for NcclEp also NCCL EP's group and handle memory); they were within 3 % of the footprints "
            + "measured on an H100 (bench/RESULTS.md)."));
    }

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("F2", CultureInfo.InvariantCulture);
}
