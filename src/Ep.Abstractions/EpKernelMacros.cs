using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Ep;

/// <summary>
/// The <c>#define</c>s a layer's CUDA source starts with: the constants the kernels in <c>native/kernels</c> read, in a
/// fixed order. Shared by the generator (which writes them into each layer's <c>KernelSource</c>) and the benchmark
/// (which builds the source of a configuration given on its command line), so the two cannot drift.
/// </summary>
internal static class EpKernelMacros
{
    /// <summary>Name and value of each macro for <paramref name="spec"/>. Names and meanings are the contract with <c>native/kernels</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Of(EpLayerSpec spec)
    {
        yield return Macro("EP_EXPERTS", spec.Experts);
        yield return Macro("EP_TOPK", spec.TopK);
        yield return Macro("EP_HIDDEN", spec.HiddenSize);
        yield return Macro("EP_MAX_TOKENS_PER_RANK", spec.MaxTokensPerRank);
        // The declared value: 0 tells the kernels that the capacity is the run-time default, R × MaxTokensPerRank.
        yield return Macro("EP_RECV_CAPACITY_PER_RANK", spec.RecvCapacityPerRank);
        yield return Macro("EP_EXPERT_ALIGNMENT", spec.EffectiveAlignment);
        yield return Flag("EP_LAYOUT_EXPERT_MAJOR", spec.Layout == EpLayout.ExpertMajor);
        yield return Flag("EP_APPLY_WEIGHTS", spec.ApplyWeightsInCombine);
        yield return Flag("EP_LOW_LATENCY", spec.Algorithm == EpAlgorithm.LowLatency);
        yield return Flag("EP_ZERO_COPY", spec.ZeroCopy);
    }

    /// <summary>The <c>#define</c> lines for <paramref name="spec"/>, one per macro of <see cref="Of"/>, each ending in a newline.</summary>
    public static string Defines(EpLayerSpec spec)
    {
        var text = new StringBuilder();
        foreach (KeyValuePair<string, string> macro in Of(spec))
        {
            text.Append("#define ").Append(macro.Key).Append(' ').Append(macro.Value).Append('\n');
        }

        return text.ToString();
    }

    private static KeyValuePair<string, string> Macro(string name, int value) => new(name, value.ToString(CultureInfo.InvariantCulture));

    private static KeyValuePair<string, string> Flag(string name, bool value) => new(name, value ? "1" : "0");
}
