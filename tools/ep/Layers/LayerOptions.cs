using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;

namespace Ep.Tool;

/// <summary>
/// The options that describe one layer, named after <see cref="ExpertParallelLayerAttribute"/>'s properties; shared by
/// <c>plan</c> (all four sizes required) and <c>doctor</c> (a layer is optional there).
/// </summary>
internal sealed class LayerOptions
{
    public LayerOptions(bool required)
    {
        Experts = Size("--experts", "Experts: total experts E", required);
        TopK = Size("--top-k", "TopK: experts per token K", required);
        Hidden = Size("--hidden", "HiddenSize: bf16 elements per token row H", required);
        MaxTokens = Size("--max-tokens", "MaxTokensPerRank: most tokens per rank per Dispatch", required);
        Ranks = new Option<int?>("--ranks", "-r") { Description = "World size R (1 to 64)" };
        Layout = new Option<EpLayout?>("--layout") { Description = "Flat or ExpertMajor (default: every layout)" };
        Algorithm = new Option<EpAlgorithm?>("--algorithm") { Description = "HighThroughput or LowLatency (default: every algorithm)" };
        RecvCapacity = new Option<int?>("--recv-capacity") { Description = "RecvCapacityPerRank in rows (default: R × MaxTokensPerRank, dropless)" };
        Alignment = new Option<int?>("--alignment") { Description = "ExpertAlignment of ExpertMajor groups (default: none)" };
        Budget = new Option<double?>("--budget") { Description = "MemoryBudgetGiB: receive memory per rank above which EP0013 warns" };
    }

    public Option<int?> Experts { get; }
    public Option<int?> TopK { get; }
    public Option<int?> Hidden { get; }
    public Option<int?> MaxTokens { get; }
    public Option<int?> Ranks { get; }
    public Option<EpLayout?> Layout { get; }
    public Option<EpAlgorithm?> Algorithm { get; }
    public Option<int?> RecvCapacity { get; }
    public Option<int?> Alignment { get; }
    public Option<double?> Budget { get; }

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Experts, TopK, Hidden, MaxTokens, Ranks, Layout, Algorithm, RecvCapacity, Alignment, Budget })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>True when any of the four sizes was given (doctor then needs all four).</summary>
    public bool AnySizeGiven(ParseResult result) =>
        result.GetValue(Experts) is not null || result.GetValue(TopK) is not null
        || result.GetValue(Hidden) is not null || result.GetValue(MaxTokens) is not null;

    /// <summary>
    /// The layer as a spec (<see cref="EpLayerSpec.Layout"/> and <see cref="EpLayerSpec.Algorithm"/> from the options or
    /// their defaults), or null with <paramref name="problems"/> saying which size is missing or not positive.
    /// </summary>
    public EpLayerSpec? ToSpec(ParseResult result, List<string> problems)
    {
        int experts = Require(result, Experts, problems);
        int topK = Require(result, TopK, problems);
        int hidden = Require(result, Hidden, problems);
        int maxTokens = Require(result, MaxTokens, problems);
        if (problems.Count > 0)
        {
            return null;
        }

        return new EpLayerSpec
        {
            Experts = experts,
            TopK = topK,
            HiddenSize = hidden,
            MaxTokensPerRank = maxTokens,
            Layout = result.GetValue(Layout) ?? EpLayout.Flat,
            Algorithm = result.GetValue(Algorithm) ?? EpAlgorithm.HighThroughput,
            RecvCapacityPerRank = result.GetValue(RecvCapacity) ?? 0,
            ExpertAlignment = result.GetValue(Alignment) ?? 0,
            MemoryBudgetGiB = result.GetValue(Budget) ?? 0,
            Ranks = result.GetValue(Ranks) ?? 0,
        };
    }

    private static Option<int?> Size(string name, string description, bool required) =>
        new(name) { Description = description, Required = required };

    private static int Require(ParseResult result, Option<int?> option, List<string> problems)
    {
        int? value = result.GetValue(option);
        if (value is null)
        {
            problems.Add(option.Name + " is required.");
            return 0;
        }

        if (value <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be positive; got {value}."));
        }

        return value.Value;
    }
}
