using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Ep.Tool.Plan;
using Xunit;

namespace Ep.Tool.Tests;

public class PlanTests
{
    private static readonly EpLayerSpec DeepSeek = new() { Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 8192 };

    [Fact]
    public void Every_row_is_the_planners_plan_for_its_layout_and_algorithm()
    {
        MemoryPlanReport report = MemoryPlanBuilder.Build(DeepSeek, 64);

        Assert.Equal(["HT Flat", "HT ExpertMajor", "LL ExpertMajor"], report.Rows.Select(r => r.Mode));
        foreach (MemoryPlanRow row in report.Rows)
        {
            EpMemoryPlan expected = EpMemoryPlanner.Plan(DeepSeek with { Layout = row.Layout, Algorithm = row.Algorithm }, 64);
            Assert.Equal(expected, row.Plan);
        }

        Assert.Equal(524_288, report.Rows[0].Plan.ReceiveRows);
        Assert.Equal(524_288L * (7168 * 2 + 8 * 4 + 8 * 8), report.Rows[0].Plan.TotalBytes);
        Assert.Equal("HT ExpertMajor", report.WorstCase);
        Assert.Contains("min(K, L) = 4", report.WorstCaseExplanation, System.StringComparison.Ordinal);
    }

    /// <summary>
    /// The plan is per layout; each engine's receive buffers are shown beside it: for Flat both engines allocate exactly
    /// the plan, for HT ExpertMajor the Staged engine also keeps the Flat rows it receives into.
    /// </summary>
    [Fact]
    public void Every_row_shows_each_engines_receive_buffers_beside_the_plan()
    {
        MemoryPlanReport report = MemoryPlanBuilder.Build(DeepSeek, 64);

        MemoryPlanRow flat = report.Rows[0], expertMajor = report.Rows[1];
        Assert.Equal((flat.Plan.TotalBytes, flat.Plan.TotalBytes), (flat.StagedReceiveBytes, flat.NcclEpReceiveBytes));
        Assert.Equal(flat.Plan.TotalBytes + expertMajor.Plan.ReceiveRows * (7168L * 2 + 4 + 2 * 4), expertMajor.StagedReceiveBytes);
        foreach (MemoryPlanRow row in report.Rows)
        {
            EpLayerSpec spec = DeepSeek with { Layout = row.Layout, Algorithm = row.Algorithm };
            Assert.Equal(Ep.Engines.NcclEp.NcclEpMemoryPlan.Plan(spec, 64).ReceiveBytes, row.NcclEpReceiveBytes);
            Assert.Equal(Ep.Engines.Staged.StagedMemoryPlan.Plan(spec, 64).TotalBytes, row.StagedEngineBytes);
            Assert.Equal(Ep.Engines.NcclEp.NcclEpMemoryPlan.Plan(spec, 64).TotalBytes, row.NcclEpEngineBytes);
            Assert.True(row.StagedEngineBytes > row.StagedReceiveBytes && row.NcclEpEngineBytes > row.NcclEpReceiveBytes, row.Mode);
        }
    }

    [Fact]
    public void EP0013_appears_exactly_when_the_plan_is_above_the_budget()
    {
        double flatGiB = EpMemoryPlanner.Plan(DeepSeek, 64, EpLayout.Flat).TotalGiB;

        MemoryPlanReport below = MemoryPlanBuilder.Build(DeepSeek with { MemoryBudgetGiB = flatGiB - 0.01 }, 64);
        MemoryPlanReport above = MemoryPlanBuilder.Build(DeepSeek with { MemoryBudgetGiB = flatGiB + 0.01 }, 64);

        Assert.Contains(below.Rows[0].Violations, v => v.Id == "EP0013");
        Assert.DoesNotContain(above.Rows[0].Violations, v => v.Id == "EP0013");
        // ExpertMajor needs 4× Flat here, so it is still above a budget that Flat fits.
        Assert.Contains(above.Rows[1].Violations, v => v.Id == "EP0013");
        // The message is the rules' own, with the planner's GiB.
        string expected = EpLayerRules.Check(DeepSeek with { MemoryBudgetGiB = flatGiB - 0.01 }, 64).Single(v => v.Rule.Id == "EP0013").Message;
        Assert.Equal(expected, below.Rows[0].Violations.Single(v => v.Id == "EP0013").Message);
    }

    [Fact]
    public void Rank_rules_are_reported_per_row()
    {
        MemoryPlanReport report = MemoryPlanBuilder.Build(DeepSeek, 2);

        // 128 local experts: above ExpertMajor's 64 (EP0012) for HT only; Flat is fine.
        Assert.DoesNotContain(report.Rows[0].Violations, v => v.Id == "EP0012");
        Assert.Contains(report.Rows[1].Violations, v => v.Id == "EP0012");
    }

    [Fact]
    public async Task Plan_json_has_the_planners_numbers()
    {
        var (exitCode, output, _) = await ToolRunner.Run("plan", "--experts", "256", "--top-k", "8", "--hidden", "7168", "--max-tokens", "8192", "--ranks", "64", "--json");

        Assert.Equal(0, exitCode);
        using JsonDocument json = ToolRunner.Json(output);
        JsonElement rows = json.RootElement.GetProperty("rows");
        Assert.Equal(3, rows.GetArrayLength());
        Assert.Equal(EpMemoryPlanner.Plan(DeepSeek, 64).TotalBytes, rows[0].GetProperty("plan").GetProperty("totalBytes").GetInt64());
        Assert.Equal("Flat", rows[0].GetProperty("layout").GetString());
    }

    [Fact]
    public async Task Plan_table_names_each_mode_and_the_worst_case()
    {
        var (exitCode, output, _) = await ToolRunner.Run("plan", "--experts", "256", "--top-k", "8", "--hidden", "7168", "--max-tokens", "8192", "--ranks", "64", "--budget", "4");

        Assert.Equal(0, exitCode);
        Assert.Contains("HT Flat", output, System.StringComparison.Ordinal);
        Assert.Contains("LL ExpertMajor", output, System.StringComparison.Ordinal);
        Assert.Contains("EP0013", output, System.StringComparison.Ordinal);
        Assert.Contains("Worst case:", output, System.StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output, System.StringComparison.Ordinal); // no ANSI when not a terminal
    }

    [Fact]
    public async Task Layout_option_keeps_one_row()
    {
        var (exitCode, output, _) = await ToolRunner.Run("plan", "--experts", "16", "--top-k", "4", "--hidden", "256", "--max-tokens", "128", "--ranks", "4", "--layout", "Flat", "--json");

        Assert.Equal(0, exitCode);
        using JsonDocument json = ToolRunner.Json(output);
        Assert.Equal(1, json.RootElement.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public async Task Missing_ranks_is_a_usage_error()
    {
        var (exitCode, _, error) = await ToolRunner.Run("plan", "--experts", "256", "--top-k", "8", "--hidden", "7168", "--max-tokens", "8192");

        Assert.Equal(2, exitCode);
        Assert.Contains("--ranks", error, System.StringComparison.Ordinal);
    }
}
