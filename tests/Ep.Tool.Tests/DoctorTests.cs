using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Ep.Tool.Tests;

public class DoctorTests
{
    [Fact]
    public async Task Without_requirements_doctor_exits_zero_and_its_json_parses()
    {
        var (exitCode, output, _) = await ToolRunner.Run("doctor", "--json");

        Assert.Equal(0, exitCode);
        using JsonDocument json = ToolRunner.Json(output);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("cuda").GetProperty("devices").ValueKind);
        Assert.True(json.RootElement.TryGetProperty("ncclEp", out _));
        Assert.True(json.RootElement.TryGetProperty("highThroughputJit", out _));
        Assert.Equal(0, json.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Requiring_a_gpu_fails_exactly_when_there_is_none()
    {
        var (_, probe, _) = await ToolRunner.Run("doctor", "--json");
        using JsonDocument facts = ToolRunner.Json(probe);
        bool hasGpu = facts.RootElement.GetProperty("cuda").GetProperty("devices").GetArrayLength() > 0;

        var (exitCode, output, _) = await ToolRunner.Run("doctor", "--require", "gpu", "--json");

        Assert.Equal(hasGpu ? 0 : 1, exitCode);
        using JsonDocument json = ToolRunner.Json(output);
        JsonElement requirement = json.RootElement.GetProperty("requirements")[0];
        Assert.Equal("gpu", requirement.GetProperty("name").GetString());
        Assert.Equal(hasGpu, requirement.GetProperty("met").GetBoolean());
    }

    [Fact]
    public async Task On_a_machine_without_a_gpu_the_text_report_marks_the_missing_pieces()
    {
        var (_, probe, _) = await ToolRunner.Run("doctor", "--json");
        using JsonDocument facts = ToolRunner.Json(probe);
        Assert.SkipWhen(facts.RootElement.GetProperty("cuda").GetProperty("devices").GetArrayLength() > 0, "this machine has a GPU");

        var (exitCode, output, _) = await ToolRunner.Run("doctor", "--require", "gpu", "nccl-ep");

        Assert.Equal(1, exitCode);
        Assert.Contains("✗ CUDA driver", output, System.StringComparison.Ordinal);
        Assert.Contains("✗ NCCL EP", output, System.StringComparison.Ordinal);
        Assert.Contains("✗ required gpu", output, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_layer_gets_the_selectors_decision_for_both_process_kinds()
    {
        var (exitCode, output, _) = await ToolRunner.Run("doctor", "--experts", "16", "--top-k", "4", "--hidden", "256", "--max-tokens", "128", "--ranks", "4", "--json");

        Assert.Equal(0, exitCode);
        using JsonDocument json = ToolRunner.Json(output);
        JsonElement layer = json.RootElement.GetProperty("layer");
        Assert.Equal("HT Flat", layer.GetProperty("mode").GetString());
        JsonElement decisions = layer.GetProperty("decisions");
        Assert.Equal(2, decisions.GetArrayLength());
        Assert.Equal("simulated ranks", decisions[0].GetProperty("processes").GetString());
        Assert.False(string.IsNullOrEmpty(decisions[0].GetProperty("reason").GetString()));
        if (json.RootElement.GetProperty("cuda").GetProperty("devices").GetArrayLength() == 0)
        {
            Assert.Equal("Reference", decisions[0].GetProperty("engine").GetString());
            Assert.False(decisions[1].TryGetProperty("engine", out _)); // no engine runs processes on the CPU
        }
    }

    [Fact]
    public async Task A_partial_layer_is_a_usage_error()
    {
        var (exitCode, _, error) = await ToolRunner.Run("doctor", "--experts", "16");

        Assert.Equal(2, exitCode);
        Assert.Contains("--top-k", error, System.StringComparison.Ordinal);
    }
}
