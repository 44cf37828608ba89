// Routing: validation, per-destination positions, per-expert counts. Runs on the source rank before anything is
// exchanged, so the host can check errors and capacities (on every rank) before a byte is written.

// One block. error[0] = the lowest (token, slot) key of a bad entry, encoded (token · K + slot) · 2 + kind with kind 0 =
// id outside [-1, E), 1 = an expert named a second time in the row (slot = the second occurrence); EP_NO_ERROR if none.
// A block-wide min, so the record is deterministic without atomics. Each thread takes whole tokens and loads a row's K
// ids at once (K independent loads in flight, not one at a time), then checks them in registers; within a row the
// lowest bad slot wins, as the key order says.
extern "C" __global__ void ep_validate_routing(const ep_i64* topkIdx, int tokens, ep_i64* error)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    ep_i64 best = EP_NO_ERROR;
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

// Tokens per thread in each round of ep_scan_destinations: fewer block-wide scans (one per EP_THREADS · 4 tokens).
#define EP_SCAN_TOKENS 4

// One block per destination rank d (grid = ranks). For every token t:
//   position[d·T + t]     = row of t within the segment this rank sends to d (−1 when t has no expert on d);
//   pairPosition[d·T + t] = first (token, expert) pair of t within the pairs this rank exchanges with d;
// and counts[d] = rows sent to d, counts[ranks + d] = pairs sent to d. Ids outside [0, E) count as no expert (the
// host reports them from ep_validate_routing before using anything written here). Each thread takes EP_SCAN_TOKENS
// consecutive tokens per round: one block scan of the threads' sums, then a running sum inside the thread, which
// keeps token order.
extern "C" __global__ void ep_scan_destinations(const ep_i64* topkIdx, int tokens, int ranks, int localExperts,
    int* position, int* pairPosition, int* counts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    int d = blockIdx.x;
    unsigned long long running = 0ull; // low 32 bits: rows, high 32 bits: pairs
    for (int base = 0; base < tokens; base += EP_THREADS * EP_SCAN_TOKENS)
    {
        int first = base + threadIdx.x * EP_SCAN_TOKENS;
        unsigned long long packed[EP_SCAN_TOKENS];
        unsigned long long mine = 0ull;
#pragma unroll
        for (int q = 0; q < EP_SCAN_TOKENS; q++)
        {
            int t = first + q;
            unsigned long long experts = 0ull;
            if (t < tokens)
            {
#pragma unroll
                for (int k = 0; k < EP_TOPK; k++)
                {
                    ep_i64 id = topkIdx[(ep_i64)t * EP_TOPK + k];
                    if (id >= 0 && id < EP_EXPERTS && id / localExperts == d)
                    {
                        experts++;
                    }
                }
            }

            packed[q] = (experts << 32) | (experts > 0ull ? 1ull : 0ull);
            mine += packed[q];
        }

        unsigned long long total;
        unsigned long long before = running + ep_block_exclusive_scan(mine, &total, scratch);
#pragma unroll
        for (int q = 0; q < EP_SCAN_TOKENS; q++)
        {
            int t = first + q;
            if (t < tokens)
            {
                position[(ep_i64)d * tokens + t] = (packed[q] & 1ull) != 0ull ? (int)(before & 0xFFFFFFFFull) : -1;
                pairPosition[(ep_i64)d * tokens + t] = (int)(before >> 32);
            }

            before += packed[q];
        }

        running += total;
    }

    if (threadIdx.x == 0)
    {
        counts[d] = (int)(running & 0xFFFFFFFFull);
        counts[ranks + d] = (int)(running >> 32);
    }
}

// One block per global expert e (grid = E): expertCounts[e] = tokens of this rank routed to e.
extern "C" __global__ void ep_count_experts(const ep_i64* topkIdx, int tokens, int* expertCounts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    ep_i64 e = blockIdx.x;
    ep_i64 entries = (ep_i64)tokens * EP_TOPK;
    unsigned long long mine = 0ull;
    // Unrolled so that several loads are in flight per thread: the block reads this rank's whole top-k table.
#pragma unroll 8
    for (ep_i64 i = threadIdx.x; i < entries; i += EP_THREADS)
    {
        if (topkIdx[i] == e)
        {
            mine++;
        }
    }

    unsigned long long total = ep_block_sum(mine, scratch);
    if (threadIdx.x == 0)
    {
        expertCounts[e] = (int)total;
    }
}
