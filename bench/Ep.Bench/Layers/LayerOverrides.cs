using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Bench.Options;

namespace Ep.Bench.Layers;

/// <summary>
/// Changes the command line makes to a <c>--layer</c> configuration (<c>--hidden</c>, <c>--topk</c>, <c>--experts</c>,
/// <c>--max-tokens</c>, <c>--layout</c>, <c>--algorithm</c>, <c>--zero-copy</c>, <c>--weighted</c>): any layer
/// configuration can be benchmarked, not only the declared ones. Null: as declared.
/// </summary>
internal sealed record LayerOverrides(int? HiddenSize = null, int? TopK = null, int? Experts = null, int? MaxTokensPerRank = null,
    EpLayout? Layout = null, EpAlgorithm? Algorithm = null, bool? ZeroCopy = null, bool? ApplyWeightsInCombine = null)
{
    /// <summary>Whether any value is overridden.</summary>
    public bool Any => HiddenSize is not null || TopK is not null || Experts is not null || MaxTokensPerRank is not null || Layout is not null
        || Algorithm is not null || ZeroCopy is not null || ApplyWeightsInCombine is not null;

    /// <summary>
    /// <paramref name="layer"/> with these values, its kernel source written for them (<see cref="BenchKernelSource"/>);
    /// <paramref name="layer"/> itself when nothing is overridden.
    /// </summary>
    /// <exception cref="BenchUsageException">The result breaks a layer rule that holds at any rank count (the diagnostics' rules).</exception>
    public BenchLayer Apply(BenchLayer layer)
    {
        if (!Any)
        {
            return layer;
        }

        EpAlgorithm algorithm = Algorithm ?? layer.Spec.Algorithm;
        EpLayerSpec spec = layer.Spec with
        {
            HiddenSize = HiddenSize ?? layer.Spec.HiddenSize,
            TopK = TopK ?? layer.Spec.TopK,
            Experts = Experts ?? layer.Spec.Experts,
            MaxTokensPerRank = MaxTokensPerRank ?? layer.Spec.MaxTokensPerRank,
            Algorithm = algorithm,
            // LowLatency implies its expert-major layout (as the attribute requires).
            Layout = algorithm == EpAlgorithm.LowLatency ? EpLayout.ExpertMajor : Layout ?? layer.Spec.Layout,
            ZeroCopy = ZeroCopy ?? layer.Spec.ZeroCopy,
            ApplyWeightsInCombine = ApplyWeightsInCombine ?? layer.Spec.ApplyWeightsInCombine,
        };
        List<EpRuleViolation> errors = EpLayerRules.Check(spec, ranks: 0).Where(v => v.Rule.Severity == EpRuleSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            throw new BenchUsageException($"the configuration ({Describe(spec)}) breaks {string.Join("; ", errors.Select(e => e.ToString()))}.");
        }

        string name = layer.Name + "+" + string.Join(",", Changes());
        return new BenchLayer(name, spec, BenchKernelSource.For(spec, "Ep.Bench command line: " + name, layer.KernelSource), Describe(spec),
            layer.SmallEnoughForReference && spec.HiddenSize <= layer.Spec.HiddenSize && spec.Experts <= layer.Spec.Experts
            && spec.MaxTokensPerRank <= layer.Spec.MaxTokensPerRank);
    }

    private IEnumerable<string> Changes()
    {
        if (HiddenSize is { } h) yield return Text("hidden", h);
        if (TopK is { } k) yield return Text("topk", k);
        if (Experts is { } e) yield return Text("experts", e);
        if (MaxTokensPerRank is { } t) yield return Text("max-tokens", t);
        if (Layout is { } layout) yield return "layout=" + (layout == EpLayout.ExpertMajor ? "em" : "flat");
        if (Algorithm is { } algorithm) yield return "algorithm=" + (algorithm == EpAlgorithm.LowLatency ? "ll" : "ht");
        if (ZeroCopy == true) yield return "zero-copy";
        if (ApplyWeightsInCombine == true) yield return "weighted";
    }

    private static string Text(string name, int value) => name + "=" + value.ToString(CultureInfo.InvariantCulture);

    private static string Describe(EpLayerSpec spec) => string.Create(CultureInfo.InvariantCulture,
        $"{(spec.Algorithm == EpAlgorithm.LowLatency ? "LL" : "HT")} {spec.Layout}{(spec.ZeroCopy ? " zero-copy" : "")}, {spec.MaxTokensPerRank} tokens/rank, hidden {spec.HiddenSize}, top-{spec.TopK}, {spec.Experts} experts{(spec.ApplyWeightsInCombine ? ", weighted" : "")} (from the command line)");
}
