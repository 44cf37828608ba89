using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Ep.Runtime.Tests.Reference;

/// <summary>
/// Pipeline parallelism keeps several micro-batches in flight: one layer instance each, with forward and backward
/// passes interleaved as F0 F1 B0 F2 B1 B2. Every micro-batch must get exactly what it gets when run alone, so no
/// instance may read another's buffers or state (the same schedule runs across GPUs in the multi-GPU issue).
/// </summary>
public sealed class PipelineScheduleTests
{
    private const int Ranks = 2;

    private static readonly EpLayerSpec Spec = new()
    {
        Experts = 8, TopK = 2, HiddenSize = 16, MaxTokensPerRank = 6, ApplyWeightsInCombine = true,
    };

    [Fact]
    public void Interleaved_micro_batches_on_three_instances_match_each_run_alone()
    {
        MicroBatchResult[][] alone = EpWorld.RunSimulated(Ranks, group =>
            Enumerable.Range(0, 3).Select(mb =>
            {
                using EpLayerRuntime layer = TestTensors.Layer(group, Spec);
                var pass = new MicroBatch(layer, group.Rank, mb);
                pass.Forward();
                return pass.Backward();
            }).ToArray());

        MicroBatchResult[][] interleaved = EpWorld.RunSimulated(Ranks, group =>
        {
            using EpLayerRuntime first = TestTensors.Layer(group, Spec);
            using EpLayerRuntime second = TestTensors.Layer(group, Spec);
            using EpLayerRuntime third = TestTensors.Layer(group, Spec);
            var passes = new[] { new MicroBatch(first, group.Rank, 0), new MicroBatch(second, group.Rank, 1), new MicroBatch(third, group.Rank, 2) };
            var results = new MicroBatchResult[3];
            passes[0].Forward();                 // F0
            passes[1].Forward();                 // F1
            results[0] = passes[0].Backward();   // B0
            passes[2].Forward();                 // F2
            results[1] = passes[1].Backward();   // B1
            results[2] = passes[2].Backward();   // B2
            return results;
        });

        for (int rank = 0; rank < Ranks; rank++)
        {
            for (int mb = 0; mb < 3; mb++)
            {
                Assert.Equal(alone[rank][mb].Output, interleaved[rank][mb].Output);
                Assert.Equal(alone[rank][mb].GradTokens, interleaved[rank][mb].GradTokens);
                Assert.Equal(alone[rank][mb].GradTopkWeights, interleaved[rank][mb].GradTopkWeights);
            }
        }

        // The micro-batches differ, so equal results are not an accident of identical inputs.
        Assert.NotEqual(alone[0][0].Output, alone[0][1].Output);
    }

    private sealed record MicroBatchResult(float[] Output, float[] GradTokens, float[] GradTopkWeights);

    /// <summary>One micro-batch on one rank: its own tokens and routing, forward now and backward later.</summary>
    private sealed class MicroBatch
    {
        private readonly EpLayerRuntime _layer;
        private readonly int _tokens;
        private readonly DeviceTensor<BFloat16> _input;
        private readonly DeviceTensor<long> _idx;
        private readonly DeviceTensor<float> _weights;
        private EpPermutedBatch? _batch;
        private DeviceTensor<BFloat16>? _expertOut;
        private float[] _output = [];

        public MicroBatch(EpLayerRuntime layer, int rank, int microBatch)
        {
            _layer = layer;
            var random = new Random(100 * microBatch + rank);
            _tokens = 3 + (microBatch + rank) % 4;
            int h = Spec.HiddenSize, k = Spec.TopK;
            float[] values = Enumerable.Range(0, _tokens * h).Select(_ => (random.Next(-8, 9)) / 8f).ToArray();
            var ids = new List<long>();
            for (int t = 0; t < _tokens; t++)
            {
                int e = random.Next(Spec.Experts);
                ids.Add(e);
                ids.Add(t % 3 == 0 ? -1 : (e + 1 + random.Next(Spec.Experts - 1)) % Spec.Experts);
            }

            _input = TestTensors.Bf(values, _tokens, h);
            _idx = TestTensors.Ids(k, [.. ids]);
            _weights = TestTensors.Weights(k, [.. ids.Select((id, i) => id < 0 ? 0f : 0.25f * (1 + i % 3))]);
        }

        public void Forward()
        {
            EpDispatchResult d = _layer.Dispatch(_input, _idx, _weights);
            _batch = _layer.Permute(d);
            _expertOut = TestTensors.ScaleByExpert(_batch, Spec.HiddenSize);
            DeviceTensor<BFloat16> z = _layer.Unpermute(_batch, _expertOut);
            _output = TestTensors.Floats(_layer.Combine(z));
        }

        public MicroBatchResult Backward()
        {
            float[] gradOut = Enumerable.Range(0, _tokens * Spec.HiddenSize).Select(i => ((i % 7) - 3) / 4f).ToArray();
            DeviceTensor<BFloat16> dz = _layer.CombineBackward(TestTensors.Bf(gradOut, _tokens, Spec.HiddenSize));
            EpUnpermuteGradients u = _layer.UnpermuteBackward(_batch!, _expertOut!, dz);
            DeviceTensor<BFloat16> dRecv = _layer.PermuteBackward(_batch!, u.GradExpertOutput);
            EpDispatchGradients g = _layer.DispatchBackward(dRecv, u.GradWeights);
            return new MicroBatchResult(_output, TestTensors.Floats(g.GradTokens), g.GradTopkWeights!.ToArray());
        }
    }
}
