// The return trip's reduction on the source rank: Combine and DispatchBackward.

// One block per token t (grid = tokens). The rows returned for t are summed in ascending destination rank d and, within
// d, ascending local expert (= ascending row there), in fp32, rounded once; tokens with no expert get zeros.
// perPair = 0 (Flat): one returned row per (d, t), at unitOffset[d] + position[d·T + t].
// perPair = 1 (expert-major): one returned row per (d, t, expert), at unitOffset[d] + pairPosition[d·T + t] + i.
// weighted (LowLatency Combine) multiplies each row by its routing weight first.
// With gradWeights non-null (DispatchBackward), also maps the returned weight gradients back to the caller's top-k
// slots: Flat rows carry K of them (slot i of the row's ascending local ids), pairs one each; 0 for unused slots.
extern "C" __global__ void ep_combine_tokens(const ep_i64* topkIdx, const float* topkWeights, int tokens, int localExperts,
    const int* position, const int* pairPosition, const int* unitOffset, int perPair, int weighted,
    const ep_bf16* units, const float* unitWeights, ep_bf16* output, float* gradWeights)
{
    __shared__ ep_i64 ids[EP_TOPK];
    __shared__ float weights[EP_TOPK];
    __shared__ int slots[EP_TOPK];
    __shared__ int count;
    ep_i64 t = blockIdx.x;
    if (threadIdx.x == 0)
    {
        count = ep_sorted_routes(topkIdx + t * EP_TOPK, topkWeights + t * EP_TOPK, ids, weights, slots);
    }

    __syncthreads();
    for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
    {
        float acc[8];
        for (int i = 0; i < 8; i++)
        {
            acc[i] = 0.0f;
        }

        int begin = 0;
        while (begin < count)
        {
            int end = ep_rank_group_end(ids, begin, count, localExperts);
            ep_i64 d = ids[begin] / localExperts;
            if (perPair == 0)
            {
                ep_i64 unit = (ep_i64)unitOffset[d] + position[d * tokens + t];
                ep_accumulate_plain(acc, ep_row(units, unit)[c]);
            }
            else
            {
                ep_i64 first = (ep_i64)unitOffset[d] + pairPosition[d * tokens + t];
                for (int i = begin; i < end; i++)
                {
                    if (weighted != 0)
                    {
                        ep_accumulate(acc, ep_row(units, first + (i - begin))[c], weights[i]);
                    }
                    else
                    {
                        ep_accumulate_plain(acc, ep_row(units, first + (i - begin))[c]);
                    }
                }
            }

            begin = end;
        }

        ep_row_out(output, t)[c] = ep_round_vec8(acc);
    }

    if (gradWeights != 0 && threadIdx.x == 0)
    {
        for (int k = 0; k < EP_TOPK; k++)
        {
            gradWeights[t * EP_TOPK + k] = 0.0f;
        }

        int begin = 0;
        while (begin < count)
        {
            int end = ep_rank_group_end(ids, begin, count, localExperts);
            ep_i64 d = ids[begin] / localExperts;
            for (int i = begin; i < end; i++)
            {
                float value = perPair == 0
                    ? unitWeights[((ep_i64)unitOffset[d] + position[d * tokens + t]) * EP_TOPK + (i - begin)]
                    : unitWeights[(ep_i64)unitOffset[d] + pairPosition[d * tokens + t] + (i - begin)];
                gradWeights[t * EP_TOPK + slots[i]] = value;
            }

            begin = end;
        }
    }
}
