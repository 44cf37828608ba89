// The return trip's reduction on the source rank: Combine and DispatchBackward.

// Adds one returned row's vector to a token's sum, scaled by the route's weight when the sum is weighted.
__device__ __forceinline__ void ep_add_term(float* acc, ep_vec8 value, bool scaled, float weight)
{
    if (scaled)
    {
        ep_accumulate(acc, value, weight);
    }
    else
    {
        ep_accumulate_plain(acc, value);
    }
}

// Most tokens one block combines (the tokensPerBlock argument may be smaller; StagedKernels picks it). Each token's
// routing prologue (load its ids, rank them, find its rows: a few dependent round trips to memory) runs on a warp of
// its own, side by side with the others, so a block pays that latency once for up to EP_COMBINE_TOKENS rows of output
// instead of once per row: 4 tokens per block ran 7 % faster than 1 on an H100, 8 about 4 % (under one wave of
// blocks; bench/RESULTS.md, run 5). At most EP_THREADS / 32: one warp per token.
#define EP_COMBINE_TOKENS 8

// One block per tokensPerBlock tokens (grid = ⌈tokens / tokensPerBlock⌉, tokensPerBlock in [1, EP_COMBINE_TOKENS]).
// The rows returned for t are summed in ascending destination rank d and, within d, ascending local expert
// (= ascending row there), in fp32, rounded once; tokens with no expert get zeros.
// perPair = 0 (Flat): one returned row per (d, t), at unitOffset[d] + position[d·T + t].
// perPair = 1 (expert-major): one returned row per (d, t, expert), at unitOffset[d] + pairPosition[d·T + t] + i.
// weighted (LowLatency Combine) multiplies each row by its routing weight first.
// With gradWeights non-null (DispatchBackward), also maps the returned weight gradients back to the caller's top-k
// slots: Flat rows carry K of them (slot i of the row's ascending local ids), pairs one each; 0 for unused slots.
// The rows to sum (terms) are found once per token, before the copy loop, so that loop only loads and adds.
extern "C" __global__ void ep_combine_tokens(const ep_i64* topkIdx, const float* topkWeights, int tokens, int localExperts,
    const int* position, const int* pairPosition, const int* unitOffset, int perPair, int weighted,
    const ep_bf16* units, const float* unitWeights, ep_bf16* output, float* gradWeights, int tokensPerBlock)
{
    __shared__ ep_i64 raw[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ ep_i64 ids[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ float weights[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ int slots[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ int groupOf[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ int groupBegin[EP_COMBINE_TOKENS][EP_TOPK + 1];
    __shared__ ep_i64 groupRow[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ ep_i64 termRow[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ float termWeight[EP_COMBINE_TOKENS][EP_TOPK];
    __shared__ int termCount[EP_COMBINE_TOKENS];

    // Warp w prepares token first + w (K <= 32 lanes each); the other warps only join the barriers.
    ep_i64 first = (ep_i64)blockIdx.x * tokensPerBlock;
    int here = tokens - first < tokensPerBlock ? (int)(tokens - first) : tokensPerBlock;
    int team = threadIdx.x / 32;
    int i = threadIdx.x % 32;
    bool active = team < here;
    int own = active ? team : 0;
    ep_i64 t = first + own;
    int count = ep_sorted_routes(topkIdx + t * EP_TOPK, topkWeights != 0 ? topkWeights + t * EP_TOPK : 0, i, active, raw[own], ids[own], weights[own],
        slots[own]);
    int groups = ep_route_groups(ids[own], count, localExperts, i, active, groupOf[own], groupBegin[own]);
    if (active && i < groups)
    {
        int d = (int)ids[own][groupBegin[own][i]] / localExperts;
        groupRow[own][i] = (ep_i64)unitOffset[d] + (perPair == 0 ? position[(ep_i64)d * tokens + t] : pairPosition[(ep_i64)d * tokens + t]);
    }

    __syncthreads();
    // Flat: one term per rank (its row), unweighted. Expert-major: one per route, the run's first row + its place.
    int terms = perPair == 0 ? groups : count;
    if (active && i < terms)
    {
        int g = groupOf[own][i];
        termRow[own][i] = perPair == 0 ? groupRow[own][i] : groupRow[own][g] + (i - groupBegin[own][g]);
        termWeight[own][i] = perPair != 0 && weighted != 0 ? weights[own][i] : 1.0f;
    }

    if (active && i == 0)
    {
        termCount[own] = terms;
    }

    __syncthreads();
    bool scaled = perPair != 0 && weighted != 0;
    // The block's tokens one after another (the prologues above are what the block shares). Each thread takes two
    // vectors of the row per pass and issues both vectors' loads for two terms at once: four 16-byte loads in flight
    // even when a token has a single term (Flat on one rank), where one load at a time left the kernel latency-bound.
    for (int p = 0; p < here; p++)
    {
        int pterms = termCount[p];
        for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += 2 * EP_THREADS)
        {
            int c2 = c + EP_THREADS;
            bool second = c2 < EP_ROW_VECTORS;
            float acc[8];
            float acc2[8];
#pragma unroll
            for (int e = 0; e < 8; e++)
            {
                acc[e] = 0.0f;
                acc2[e] = 0.0f;
            }

            int term = 0;
            for (; term + 2 <= pterms; term += 2)
            {
                const ep_vec8* row0 = ep_row(units, termRow[p][term]);
                const ep_vec8* row1 = ep_row(units, termRow[p][term + 1]);
                ep_vec8 a0 = row0[c];
                ep_vec8 a1 = row1[c];
                ep_vec8 b0 = second ? row0[c2] : ep_zero_vec8();
                ep_vec8 b1 = second ? row1[c2] : ep_zero_vec8();
                ep_add_term(acc, a0, scaled, termWeight[p][term]);
                ep_add_term(acc, a1, scaled, termWeight[p][term + 1]);
                ep_add_term(acc2, b0, scaled, termWeight[p][term]);
                ep_add_term(acc2, b1, scaled, termWeight[p][term + 1]);
            }

            if (term < pterms)
            {
                const ep_vec8* row = ep_row(units, termRow[p][term]);
                ep_vec8 a = row[c];
                ep_vec8 b = second ? row[c2] : ep_zero_vec8();
                ep_add_term(acc, a, scaled, termWeight[p][term]);
                ep_add_term(acc2, b, scaled, termWeight[p][term]);
            }

            ep_row_out(output, first + p)[c] = ep_round_vec8(acc);
            if (second)
            {
                ep_row_out(output, first + p)[c2] = ep_round_vec8(acc2);
            }
        }
    }

    if (gradWeights != 0 && active)
    {
        // Each slot is written by one lane: a valid route's by the route's lane, an unused slot's by lane k.
        if (i < count)
        {
            int g = groupOf[own][i];
            float value = perPair == 0
                ? unitWeights[groupRow[own][g] * EP_TOPK + (i - groupBegin[own][g])]
                : unitWeights[termRow[own][i]];
            gradWeights[t * EP_TOPK + slots[own][i]] = value;
        }

        if (i < EP_TOPK && !(raw[own][i] >= 0 && raw[own][i] < EP_EXPERTS))
        {
            gradWeights[t * EP_TOPK + i] = 0.0f;
        }
    }
}
