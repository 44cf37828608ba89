namespace Ep.Generators.Tests.Compile;

/// <summary>User programs that call every generated member, for the compile tests.</summary>
internal static class UsageSources
{
    /// <summary>Three layers (Flat, ZeroCopy, ExpertMajor + weighted) and a documented program that uses all of their members.</summary>
    public const string EveryMember = """
        using Ep;

        namespace App
        {
            /// <summary>The default layer.</summary>
            [ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096)]
            public partial class DeepSeekMoe
            {
            }

            /// <summary>A zero-copy layer.</summary>
            [ExpertParallelLayer(Experts = 128, TopK = 4, HiddenSize = 4096, MaxTokensPerRank = 2048, ZeroCopy = true)]
            public sealed partial class ZeroCopyMoe
            {
            }

            /// <summary>An expert-major, weighted layer.</summary>
            [ExpertParallelLayer(Experts = 64, TopK = 6, HiddenSize = 2048, MaxTokensPerRank = 1024,
                Layout = EpLayout.ExpertMajor, ExpertAlignment = 128, ApplyWeightsInCombine = true, Ranks = 8, MemoryBudgetGiB = 64)]
            internal partial class ExpertMajorMoe
            {
            }

            /// <summary>Calls every generated member.</summary>
            public static class Usage
            {
                /// <summary>Reads every constant and static member.</summary>
                /// <returns>A value that depends on all of them.</returns>
                public static long Statics()
                {
                    long sum = DeepSeekMoe.Experts + DeepSeekMoe.TopK + DeepSeekMoe.HiddenSize + DeepSeekMoe.MaxTokensPerRank
                        + DeepSeekMoe.RecvCapacityPerRank + DeepSeekMoe.ExpertAlignment + DeepSeekMoe.Ranks;
                    bool flags = DeepSeekMoe.ApplyWeightsInCombine || DeepSeekMoe.ZeroCopy;
                    EpLayout layout = DeepSeekMoe.Layout;
                    EpAlgorithm algorithm = DeepSeekMoe.Algorithm;
                    EpPayload payload = DeepSeekMoe.Payload;
                    EpLayerSpec spec = DeepSeekMoe.Spec;
                    EpMemoryPlan plan = DeepSeekMoe.PlanMemory(8);
                    string source = DeepSeekMoe.KernelSource;
                    return sum + (flags ? 1 : 0) + (int)layout + (int)algorithm + (int)payload + spec.Experts + plan.TotalBytes + source.Length
                        + ExpertMajorMoe.PlanMemory(ExpertMajorMoe.Ranks).ReceiveRows + ZeroCopyMoe.KernelSource.Length;
                }

                /// <summary>One forward and backward step of the default layer.</summary>
                /// <param name="group">The group.</param>
                /// <param name="tokens">Tokens.</param>
                /// <param name="topkIdx">Expert ids.</param>
                /// <param name="topkWeights">Routing weights.</param>
                /// <returns>The token gradients.</returns>
                public static DeviceTensor<BFloat16> Step(EpGroup group, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
                {
                    using var moe = new DeepSeekMoe(group);
                    EpGroup same = moe.Group;
                    EpEngineKind engine = moe.Engine;
                    int local = moe.LocalExperts + same.WorldSize + (int)engine;
                    EpDispatchResult dispatched = moe.Dispatch(tokens, topkIdx, topkWeights);
                    EpPermutedBatch batch = moe.Permute(dispatched);
                    DeviceTensor<BFloat16> expertOutput = batch.Tokens;
                    DeviceTensor<BFloat16> combineInput = moe.Unpermute(batch, expertOutput);
                    DeviceTensor<BFloat16> output = moe.Combine(combineInput);
                    DeviceTensor<BFloat16> gradCombineInput = moe.CombineBackward(output);
                    EpUnpermuteGradients unpermuteGrads = moe.UnpermuteBackward(batch, expertOutput, gradCombineInput);
                    DeviceTensor<BFloat16> gradReceived = moe.PermuteBackward(batch, unpermuteGrads.GradExpertOutput);
                    EpDispatchGradients grads = moe.DispatchBackward(gradReceived, unpermuteGrads.GradWeights);
                    EpDispatchGradients tokenGradsOnly = moe.DispatchBackward(gradReceived);
                    return local > 0 ? grads.GradTokens : tokenGradsOnly.GradTokens;
                }

                /// <summary>One forward step of the zero-copy layer: Unpermute's symmetric result goes straight to Combine.</summary>
                /// <param name="group">The group.</param>
                /// <param name="tokens">Tokens.</param>
                /// <param name="topkIdx">Expert ids.</param>
                /// <param name="topkWeights">Routing weights.</param>
                /// <returns>The combined output.</returns>
                public static DeviceTensor<BFloat16> ZeroCopyStep(EpGroup group, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
                {
                    using var moe = new ZeroCopyMoe(group);
                    EpPermutedBatch batch = moe.Permute(moe.Dispatch(tokens, topkIdx, topkWeights));
                    SymmetricTensor<BFloat16> combineInput = moe.Unpermute(batch, batch.Tokens);
                    return moe.Combine(combineInput);
                }

                /// <summary>The expert-major layer's weight gradient is one per received row.</summary>
                /// <param name="group">The group.</param>
                /// <param name="gradReceived">Gradient of the received rows.</param>
                /// <param name="gradWeights">Gradient of the received weights.</param>
                /// <returns>The routing-weight gradients, if any.</returns>
                public static DeviceTensor<float>? ExpertMajorBackward(EpGroup group, DeviceTensor<BFloat16> gradReceived, DeviceTensor<float> gradWeights)
                {
                    using var moe = new ExpertMajorMoe(group);
                    return moe.DispatchBackward(gradReceived, gradWeights).GradTopkWeights;
                }
            }
        }
        """;

    /// <summary>A plain buffer passed where a ZeroCopy layer's Combine needs symmetric memory.</summary>
    public const string PlainBufferIntoZeroCopyCombine = """
        using Ep;

        [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, ZeroCopy = true)]
        public partial class ZeroCopyMoe;

        public static class Usage
        {
            public static DeviceTensor<BFloat16> Run(ZeroCopyMoe moe, DeviceTensor<BFloat16> plain) => moe.Combine(plain);
        }
        """;
}
