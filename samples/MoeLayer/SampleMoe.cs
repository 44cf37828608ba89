using Ep;

namespace MoeLayer;

/// <summary>
/// The layer under test: 16 experts, each token picks 4, 64-wide rows. Unpermute applies the routing weights,
/// so the layer computes y[t] = Σ_k w[t,k] · expert_{idx[t,k]}(x[t]).
/// </summary>
[ExpertParallelLayer(Experts = 16, TopK = 4, HiddenSize = 64, MaxTokensPerRank = 96, ApplyWeightsInCombine = true)]
public sealed partial class SampleMoe;
