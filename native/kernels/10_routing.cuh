// Routing: validation, per-destination positions, per-expert counts. Runs on the source rank before anything is
// exchanged, so the host can check errors and capacities (on every rank) before a byte is written.

// One block's work. error[0] = the lowest (token, slot) key of a bad entry, encoded (token · K + slot) · 2 + kind with kind 0 =
// id outside [-1, E), 1 = an expert named a second time in the row (slot = the second occurrence); EP_NO_ERROR if none.
// A block-wide min, so the record is deterministic without atomics. Each thread takes whole tokens and loads a row's K
// ids at once (K independent loads in flight, not one at a time), then checks them in registers; within a row the
// lowest bad slot wins, as the key order says.
__device__ __forceinline__ void ep_validate_block(const ep_i64* topkIdx, int tokens, ep_i64* error, unsigned long long* scratch)
{
    ep_i64 best = EP_NO_ERROR;
    // Four tokens per pass: 4 · K loads in flight per thread.
#pragma unroll 4
    for (int t = threadIdx.x; t < tokens; t += EP_THREADS)
    {
        ep_i64 ids[EP_TOPK];
#pragma unroll
        for (int k = 0; k < EP_TOPK; k++)
        {
            ids[k] = topkIdx[(ep_i64)t * EP_TOPK + k];
        }

#pragma unroll
        for (int k = 0; k < EP_TOPK; k++)
        {
            ep_i64 id = ids[k];
            bool outside = id < -1 || id >= EP_EXPERTS;
            bool repeated = false;
#pragma unroll
            for (int j = 0; j < k; j++)
            {
                repeated = repeated || (id >= 0 && ids[j] == id);
            }

            ep_i64 key = ((ep_i64)t * EP_TOPK + k) * 2 + (outside ? 0 : 1);
            if ((outside || repeated) && key < best)
            {
                best = key;
            }
        }
    }

    scratch[threadIdx.x] = (unsigned long long)best;
    __syncthreads();
    for (int half = EP_THREADS / 2; half > 0; half >>= 1)
    {
        if (threadIdx.x < half && scratch[threadIdx.x + half] < scratch[threadIdx.x])
        {
            scratch[threadIdx.x] = scratch[threadIdx.x + half];
        }

        __syncthreads();
    }

    if (threadIdx.x == 0)
    {
        error[0] = (ep_i64)scratch[0];
    }
}

// Rows (low 32 bits) and pairs (high 32 bits) token t sends to the rank owning experts [low, low + L).
__device__ __forceinline__ unsigned long long ep_token_to_rank(const ep_i64* topkIdx, int t, ep_i64 low, ep_i64 localExperts)
{
    unsigned long long experts = 0ull;
#pragma unroll
    for (int k = 0; k < EP_TOPK; k++)
    {
        ep_i64 id = topkIdx[(ep_i64)t * EP_TOPK + k];
        // A range test instead of id / L: 64-bit division is a long software sequence, and this runs T · K times.
        experts += id >= low && id < low + localExperts ? 1ull : 0ull;
    }

    return (experts << 32) | (experts > 0ull ? 1ull : 0ull);
}

// Destination rank d's block. For every token t:
//   position[d·T + t]     = row of t within the segment this rank sends to d (−1 when t has no expert on d);
//   pairPosition[d·T + t] = first (token, expert) pair of t within the pairs this rank exchanges with d;
// and counts[d] = rows sent to d, counts[ranks + d] = pairs sent to d. Ids outside [0, E) count as no expert (the
// host reports them from ep_validate_routing before using anything written here). Each thread owns one contiguous
// run of ⌈T / 256⌉ tokens: it counts them (unrolled by 4: 4 · K loads in flight), one block-wide scan of the
// threads' totals gives each run its start, and a second pass over the run (now in L2) writes the positions in
// token order. One scan for the whole table instead of one per 1024 tokens.
__device__ __forceinline__ void ep_scan_block(int d, const ep_i64* topkIdx, int tokens, int ranks, int localExperts,
    int* position, int* pairPosition, int* counts, unsigned long long* scratch)
{
    ep_i64 low = (ep_i64)d * localExperts;
    int run = (tokens + EP_THREADS - 1) / EP_THREADS;
    int first = threadIdx.x * run;
    int last = first + run < tokens ? first + run : tokens;
    unsigned long long mine = 0ull; // low 32 bits: rows, high 32 bits: pairs
#pragma unroll 4
    for (int t = first; t < last; t++)
    {
        mine += ep_token_to_rank(topkIdx, t, low, localExperts);
    }

    unsigned long long total;
    unsigned long long before = ep_block_exclusive_scan(mine, &total, scratch);
#pragma unroll 4
    for (int t = first; t < last; t++)
    {
        unsigned long long packed = ep_token_to_rank(topkIdx, t, low, localExperts);
        position[(ep_i64)d * tokens + t] = (packed & 1ull) != 0ull ? (int)(before & 0xFFFFFFFFull) : -1;
        pairPosition[(ep_i64)d * tokens + t] = (int)(before >> 32);
        before += packed;
    }

    if (threadIdx.x == 0)
    {
        counts[d] = (int)(total & 0xFFFFFFFFull);
        counts[ranks + d] = (int)(total >> 32);
    }
}

// Experts counted by one block: the block reads the top-k table once for 8 experts (E / 8 blocks read it, not E).
// StagedKernels.ExpertsPerCountBlock must match.
#define EP_COUNT_GROUP 8

// Experts [8g, 8g + 8)'s block: expertCounts[e] = tokens of this rank routed to e. Each thread keeps 8 counters in
// registers; a two-level sum over shared memory (32 threads per expert, then one) gives the totals.
__device__ __forceinline__ void ep_count_block(int group, const ep_i64* topkIdx, int tokens, int* expertCounts)
{
    __shared__ unsigned int partial[EP_COUNT_GROUP][EP_THREADS];
    ep_i64 base = (ep_i64)group * EP_COUNT_GROUP;
    ep_i64 entries = (ep_i64)tokens * EP_TOPK;
    unsigned int mine[EP_COUNT_GROUP];
#pragma unroll
    for (int g = 0; g < EP_COUNT_GROUP; g++)
    {
        mine[g] = 0u;
    }

    // Unrolled so that several loads are in flight per thread.
#pragma unroll 8
    for (ep_i64 i = threadIdx.x; i < entries; i += EP_THREADS)
    {
        ep_i64 relative = topkIdx[i] - base;
#pragma unroll
        for (int g = 0; g < EP_COUNT_GROUP; g++)
        {
            mine[g] += relative == g ? 1u : 0u;
        }
    }

#pragma unroll
    for (int g = 0; g < EP_COUNT_GROUP; g++)
    {
        partial[g][threadIdx.x] = mine[g];
    }

    __syncthreads();
    // EP_THREADS = EP_COUNT_GROUP · 32: thread (g, lane) adds eight of expert g's partial counts.
    const int lanes = EP_THREADS / EP_COUNT_GROUP;
    const int width = EP_THREADS / lanes;
    int g = threadIdx.x / lanes, lane = threadIdx.x % lanes;
    unsigned int sum = 0u;
#pragma unroll
    for (int j = 0; j < width; j++)
    {
        sum += partial[g][lane * width + j];
    }

    __syncthreads();
    partial[g][lane] = sum;
    __syncthreads();
    if (threadIdx.x < EP_COUNT_GROUP && base + threadIdx.x < EP_EXPERTS)
    {
        unsigned int total = 0u;
        for (int j = 0; j < lanes; j++)
        {
            total += partial[threadIdx.x][j];
        }

        expertCounts[base + threadIdx.x] = (int)total;
    }
}

// The three routing passes as separate kernels (grid 1, R and ⌈E / 8⌉), for the kernel benchmark.
extern "C" __global__ void ep_validate_routing(const ep_i64* topkIdx, int tokens, ep_i64* error)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    ep_validate_block(topkIdx, tokens, error, scratch);
}

extern "C" __global__ void ep_scan_destinations(const ep_i64* topkIdx, int tokens, int ranks, int localExperts,
    int* position, int* pairPosition, int* counts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    ep_scan_block(blockIdx.x, topkIdx, tokens, ranks, localExperts, position, pairPosition, counts, scratch);
}

extern "C" __global__ void ep_count_experts(const ep_i64* topkIdx, int tokens, int* expertCounts)
{
    ep_count_block(blockIdx.x, topkIdx, tokens, expertCounts);
}

#define EP_COUNT_BLOCKS ((EP_EXPERTS + EP_COUNT_GROUP - 1) / EP_COUNT_GROUP)

// All three passes in one launch (grid = R + ⌈E / 8⌉ + 1): blocks [0, R) scan destinations, the next ⌈E / 8⌉ count
// experts, the last validates. The passes read the same top-k table and write disjoint outputs, so they run side by side on
// different SMs: the routing record costs the longest pass (the destination scan), not the sum of three launches.
extern "C" __global__ void ep_route_record(const ep_i64* topkIdx, int tokens, int ranks, int localExperts, int* position,
    int* pairPosition, ep_i64* error, int* counts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    int block = blockIdx.x;
    if (block < ranks)
    {
        ep_scan_block(block, topkIdx, tokens, ranks, localExperts, position, pairPosition, counts, scratch);
    }
    else if (block < ranks + EP_COUNT_BLOCKS)
    {
        ep_count_block(block - ranks, topkIdx, tokens, counts + 2 * ranks);
    }
    else
    {
        ep_validate_block(topkIdx, tokens, error, scratch);
    }
}
