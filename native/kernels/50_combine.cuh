// The return trip's reduction on the source rank: Combine and DispatchBackward.

// Rows summed per pass: their loads are issued together, then added in order (the order the sum is defined in).
#define EP_SUM_UNROLL 4

// One block per token t (grid = tokens). The rows returned for t are summed in ascending destination rank d and, within
// d, ascending local expert (= ascending row there), in fp32, rounded once; tokens with no expert get zeros.
// perPair = 0 (Flat): one returned row per (d, t), at unitOffset[d] + position[d·T + t].
// perPair = 1 (expert-major): one returned row per (d, t, expert), at unitOffset[d] + pairPosition[d·T + t] + i.
// weighted (LowLatency Combine) multiplies each row by its routing weight first.
// With gradWeights non-null (DispatchBackward), also maps the returned weight gradients back to the caller's top-k
// slots: Flat rows carry K of them (slot i of the row's ascending local ids), pairs one each; 0 for unused slots.
// The rows to sum (terms) are found once per block, before the copy loop, so that loop only loads and adds.
extern "C" __global__ void ep_combine_tokens(const ep_i64* topkIdx, const float* topkWeights, int tokens, int localExperts,
    const int* position, const int* pairPosition, const int* unitOffset, int perPair, int weighted,
    const ep_bf16* units, const float* unitWeights, ep_bf16* output, float* gradWeights)
{
    __shared__ ep_i64 raw[EP_TOPK];
    __shared__ ep_i64 ids[EP_TOPK];
    __shared__ float weights[EP_TOPK];
    __shared__ int slots[EP_TOPK];
    __shared__ int groupOf[EP_TOPK];
    __shared__ int groupBegin[EP_TOPK + 1];
    __shared__ ep_i64 groupRow[EP_TOPK];
    __shared__ ep_i64 termRow[EP_TOPK];
    __shared__ float termWeight[EP_TOPK];
    ep_i64 t = blockIdx.x;
    int count = ep_sorted_routes(topkIdx + t * EP_TOPK, topkWeights + t * EP_TOPK, raw, ids, weights, slots);
    int groups = ep_route_groups(ids, count, localExperts, groupOf, groupBegin);
    int i = threadIdx.x;
    if (i < groups)
    {
        int d = (int)ids[groupBegin[i]] / localExperts;
        groupRow[i] = (ep_i64)unitOffset[d] + (perPair == 0 ? position[(ep_i64)d * tokens + t] : pairPosition[(ep_i64)d * tokens + t]);
    }

    __syncthreads();
    // Flat: one term per rank (its row), unweighted. Expert-major: one per route, the run's first row + its place.
    int terms = perPair == 0 ? groups : count;
    if (i < terms)
    {
        termRow[i] = perPair == 0 ? groupRow[i] : groupRow[groupOf[i]] + (i - groupBegin[groupOf[i]]);
        termWeight[i] = perPair != 0 && weighted != 0 ? weights[i] : 1.0f;
    }

    __syncthreads();
    bool scaled = perPair != 0 && weighted != 0;
    for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
    {
        float acc[8];
        for (int e = 0; e < 8; e++)
        {
            acc[e] = 0.0f;
        }

        int term = 0;
        for (; term + EP_SUM_UNROLL <= terms; term += EP_SUM_UNROLL)
        {
            ep_vec8 values[EP_SUM_UNROLL];
#pragma unroll
            for (int u = 0; u < EP_SUM_UNROLL; u++)
            {
                values[u] = ep_row(units, termRow[term + u])[c];
            }

#pragma unroll
            for (int u = 0; u < EP_SUM_UNROLL; u++)
            {
                if (scaled)
                {
                    ep_accumulate(acc, values[u], termWeight[term + u]);
                }
                else
                {
                    ep_accumulate_plain(acc, values[u]);
                }
            }
        }

        for (; term < terms; term++)
        {
            ep_vec8 value = ep_row(units, termRow[term])[c];
            if (scaled)
            {
                ep_accumulate(acc, value, termWeight[term]);
            }
            else
            {
                ep_accumulate_plain(acc, value);
            }
        }

        ep_row_out(output, t)[c] = ep_round_vec8(acc);
    }

    if (gradWeights != 0)
    {
        // Each slot is written by one thread: a valid route's by the route's thread, an unused slot's by thread k.
        if (i < count)
        {
            int g = groupOf[i];
            float value = perPair == 0
                ? unitWeights[groupRow[g] * EP_TOPK + (i - groupBegin[g])]
                : unitWeights[termRow[i]];
            gradWeights[t * EP_TOPK + slots[i]] = value;
        }

        if (i < EP_TOPK && !(raw[i] >= 0 && raw[i] < EP_EXPERTS))
        {
            gradWeights[t * EP_TOPK + i] = 0.0f;
        }
    }
}
