using System;
using System.Linq;
using System.Reflection;
using Ep;

// Two ranks on the CPU (Reference engine): every token goes to expert 0 (rank 0) and expert 2 (rank 1), the experts
// are the identity, so Combine sums each token's two returned copies: y = 2x, exactly, in bf16.
const int TokensPerRank = 4;
const int Hidden = TinyMoe.HiddenSize;

string[] engines = EpWorld.RunSimulated(2, group =>
{
    using var moe = new TinyMoe(group);
    var x = Enumerable.Range(0, TokensPerRank * Hidden).Select(i => (BFloat16)(group.Rank * 100 + i % 50)).ToArray();
    long[] routes = Enumerable.Range(0, TokensPerRank).SelectMany(_ => new long[] { 0, 2 }).ToArray();
    float[] weights = Enumerable.Repeat(0.5f, TokensPerRank * TinyMoe.TopK).ToArray();

    using var tokens = DeviceTensor<BFloat16>.FromArray(x, TokensPerRank, Hidden);
    using var topkIdx = DeviceTensor<long>.FromArray(routes, TokensPerRank, TinyMoe.TopK);
    using var topkWeights = DeviceTensor<float>.FromArray(weights, TokensPerRank, TinyMoe.TopK);

    EpDispatchResult dispatched = moe.Dispatch(tokens, topkIdx, topkWeights);
    BFloat16[] y = moe.Combine(dispatched.Tokens).ToArray();      // identity experts: combine what arrived

    for (int i = 0; i < y.Length; i++)
    {
        if ((float)y[i] != 2 * (float)x[i])
        {
            throw new InvalidOperationException($"rank {group.Rank}: y[{i}] = {(float)y[i]}, expected {2 * (float)x[i]}");
        }
    }

    return $"{group.EngineKind}";
});

// .ci/run looks for this line; the version shows which package was restored (the informational one, minus the commit).
string? version = typeof(EpGroup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
Console.WriteLine($"PackageConsumer: Dispatch/Combine on {engines.Length} ranks ({engines[0]}) with package Ep {version} OK");

/// <summary>The smallest useful layer: 4 experts over 2 ranks, each token picks 2, 8-wide rows.</summary>
[ExpertParallelLayer(Experts = 4, TopK = 2, HiddenSize = 8, MaxTokensPerRank = 4)]
internal sealed partial class TinyMoe;
