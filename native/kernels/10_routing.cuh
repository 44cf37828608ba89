// Routing: validation, per-destination positions, per-expert counts. Runs on the source rank before anything is
// exchanged, so the host can check errors and capacities (on every rank) before a byte is written.

// Whether entry k of a row's ids is bad: outside [-1, E) (kind 0), or naming an expert an earlier slot of the row
// already names (kind 1). The key that ranks it among a table's bad entries is (token · K + k) · 2 + kind.
__device__ __forceinline__ bool ep_entry_bad(const ep_i64* ids, int k, int* kind)
{
    ep_i64 id = ids[k];
    bool outside = id < -1 || id >= EP_EXPERTS;
    bool repeated = false;
#pragma unroll
    for (int j = 0; j < EP_TOPK; j++)
    {
        repeated = repeated || (j < k && id >= 0 && ids[j] == id);
    }

    *kind = outside ? 0 : 1;
    return outside || repeated;
}

// The lowest of every thread's key (a block-wide min over shared memory: deterministic without atomics); every thread
// gets it.
__device__ __forceinline__ ep_i64 ep_block_min_key(ep_i64 mine, unsigned long long* scratch)
{
    scratch[threadIdx.x] = (unsigned long long)mine;
    __syncthreads();
    for (int half = EP_THREADS / 2; half > 0; half >>= 1)
    {
        if (threadIdx.x < half && scratch[threadIdx.x + half] < scratch[threadIdx.x])
        {
            scratch[threadIdx.x] = scratch[threadIdx.x + half];
        }

        __syncthreads();
    }

    return (ep_i64)scratch[0];
}

// One block's work. error[0] = the lowest (token, slot) key of a bad entry (ep_entry_bad), slot = the second
// occurrence for a repeat; EP_NO_ERROR if none. Each thread takes whole tokens and loads a row's K ids at once (K
// independent loads in flight, not one at a time), then checks them in registers; within a row the lowest bad slot
// wins, as the key order says.
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
            int kind;
            ep_i64 key = ((ep_i64)t * EP_TOPK + k) * 2;
            if (ep_entry_bad(ids, k, &kind) && key + kind < best)
            {
                best = key + kind;
            }
        }
    }

    ep_i64 lowest = ep_block_min_key(best, scratch);
    if (threadIdx.x == 0)
    {
        error[0] = lowest;
    }
}

// The destination scan reads the [T, K] table through tiles of whole tokens that the block loads together: lane i of
// a warp reads word i (coalesced), and the next tile's words are in flight while the current one is counted. A lane
// per token instead (stride K words) made every warp load touch 32 cache lines, which serialised in L1: 42.7 → 19.6 µs
// at 4096 tokens on an H100. Validation keeps a lane per token: checking repeats across a tile staged in shared
// memory measured 62 µs against 16 µs for K ids per thread in registers (bench/RESULTS.md, run 4).
#define EP_TILE_WORDS_PER_THREAD 16
#define EP_TILE_TOKENS ((EP_THREADS * EP_TILE_WORDS_PER_THREAD) / EP_TOPK)
#define EP_TILE_WORDS (EP_TILE_TOKENS * EP_TOPK)

// Loads tile words [first, first + EP_TILE_WORDS) into registers, word first + threadIdx.x + i · EP_THREADS in
// words[i]; −1 (no expert) past the table's end.
__device__ __forceinline__ void ep_load_tile(const ep_i64* topkIdx, ep_i64 entries, ep_i64 first, ep_i64* words)
{
#pragma unroll
    for (int i = 0; i < EP_TILE_WORDS_PER_THREAD; i++)
    {
        ep_i64 w = first + threadIdx.x + (ep_i64)i * EP_THREADS;
        int inTile = threadIdx.x + i * EP_THREADS;
        words[i] = inTile < EP_TILE_WORDS && w < entries ? topkIdx[w] : -1;
    }
}

// Tokens each thread owns in a tile of the destination scan (contiguous, so one block scan keeps token order).
#define EP_SCAN_TOKENS_PER_THREAD ((EP_TILE_TOKENS + EP_THREADS - 1) / EP_THREADS)

// Destination rank d's block. For every token t:
//   position[d·T + t]     = row of t within the segment this rank sends to d (−1 when t has no expert on d);
//   pairPosition[d·T + t] = first (token, expert) pair of t within the pairs this rank exchanges with d;
// and counts[d] = rows sent to d, counts[ranks + d] = pairs sent to d. Ids outside [0, E) count as no expert (the
// host reports them from ep_validate_routing before using anything written here). Per tile: each word is marked 1 if
// its expert is on d (a range test: 64-bit division is a long software sequence), each thread sums the marks of its
// tokens, and one block scan of the threads' sums (plus the running total of earlier tiles) places them.
__device__ __forceinline__ void ep_scan_block(int d, const ep_i64* topkIdx, int tokens, int ranks, int localExperts,
    int* position, int* pairPosition, int* counts, unsigned long long* scratch)
{
    __shared__ unsigned char marks[EP_TILE_WORDS];
    ep_i64 low = (ep_i64)d * localExperts;
    ep_i64 high = low + localExperts;
    ep_i64 entries = (ep_i64)tokens * EP_TOPK;
    unsigned long long running = 0ull; // low 32 bits: rows, high 32 bits: pairs
    ep_i64 words[EP_TILE_WORDS_PER_THREAD];
    ep_load_tile(topkIdx, entries, 0, words);
    for (int base = 0; base < tokens; base += EP_TILE_TOKENS)
    {
#pragma unroll
        for (int i = 0; i < EP_TILE_WORDS_PER_THREAD; i++)
        {
            int inTile = threadIdx.x + i * EP_THREADS;
            if (inTile < EP_TILE_WORDS)
            {
                marks[inTile] = words[i] >= low && words[i] < high ? 1 : 0;
            }
        }

        __syncthreads();
        ep_load_tile(topkIdx, entries, (ep_i64)(base + EP_TILE_TOKENS) * EP_TOPK, words);
        unsigned long long packed[EP_SCAN_TOKENS_PER_THREAD];
        unsigned long long mine = 0ull;
#pragma unroll
        for (int j = 0; j < EP_SCAN_TOKENS_PER_THREAD; j++)
        {
            int local = threadIdx.x * EP_SCAN_TOKENS_PER_THREAD + j;
            unsigned long long experts = 0ull;
            if (local < EP_TILE_TOKENS && base + local < tokens)
            {
#pragma unroll
                for (int k = 0; k < EP_TOPK; k++)
                {
                    experts += marks[local * EP_TOPK + k];
                }
            }

            packed[j] = (experts << 32) | (experts > 0ull ? 1ull : 0ull);
            mine += packed[j];
        }

        // The scan synchronises before anyone returns from it: every thread is done with this tile's marks.
        unsigned long long total;
        unsigned long long before = running + ep_block_exclusive_scan(mine, &total, scratch);
#pragma unroll
        for (int j = 0; j < EP_SCAN_TOKENS_PER_THREAD; j++)
        {
            int local = threadIdx.x * EP_SCAN_TOKENS_PER_THREAD + j;
            int t = base + local;
            if (local < EP_TILE_TOKENS && t < tokens)
            {
                position[(ep_i64)d * tokens + t] = (packed[j] & 1ull) != 0ull ? (int)(before & 0xFFFFFFFFull) : -1;
                pairPosition[(ep_i64)d * tokens + t] = (int)(before >> 32);
            }

            before += packed[j];
        }

        running += total;
    }

    if (threadIdx.x == 0)
    {
        counts[d] = (int)(running & 0xFFFFFFFFull);
        counts[ranks + d] = (int)(running >> 32);
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

    // Unrolled so that several loads are in flight per thread (the loads are coalesced: lane i reads word i).
#pragma unroll 16
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

// Blocks that compare the ids with the ones a NCCL EP HighThroughput handle holds. StagedRouteRecord.HeldCheckBlocks
// must match.
#define EP_HELD_BLOCKS 8

// Part `part` of EP_HELD_BLOCKS: differs[part] = 1 if an entry of its slice of the [T, K] table differs from heldIdx
// (or heldIdx is null: nothing is held), else 0. Written whole by one thread, so the record needs no zeroing first.
__device__ __forceinline__ void ep_held_block(int part, const ep_i64* topkIdx, const ep_i64* heldIdx, int tokens, ep_i64* differs)
{
    __shared__ int any;
    if (threadIdx.x == 0)
    {
        any = heldIdx == 0 ? 1 : 0;
    }

    __syncthreads();
    if (heldIdx != 0)
    {
        ep_i64 entries = (ep_i64)tokens * EP_TOPK;
        ep_i64 slice = (entries + EP_HELD_BLOCKS - 1) / EP_HELD_BLOCKS;
        ep_i64 end = (part + 1) * slice < entries ? (part + 1) * slice : entries;
        bool mine = false;
#pragma unroll 8
        for (ep_i64 i = part * slice + threadIdx.x; i < end; i += EP_THREADS)
        {
            mine = mine || topkIdx[i] != heldIdx[i];
        }

        if (mine)
        {
            any = 1; // every writer writes the same value
        }
    }

    __syncthreads();
    if (threadIdx.x == 0)
    {
        differs[part] = any;
    }
}

// All routing passes in one launch (grid = R + ⌈E / 8⌉ + 1 + EP_HELD_BLOCKS): blocks [0, R) scan destinations, the next
// ⌈E / 8⌉ count experts, the next validates, the last EP_HELD_BLOCKS compare with heldIdx (ep_held_block; the NcclEp
// engine keeps a HighThroughput handle whose routing every rank still has). The passes read the same top-k table and
// write disjoint outputs, so they run side by side on different SMs: the routing record costs the longest pass (the
// destination scan), not the sum of their launches.
extern "C" __global__ void ep_route_record(const ep_i64* topkIdx, int tokens, int ranks, int localExperts, int* position,
    int* pairPosition, ep_i64* error, int* counts, const ep_i64* heldIdx, ep_i64* heldDiffers)
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
    else if (block == ranks + EP_COUNT_BLOCKS)
    {
        ep_validate_block(topkIdx, tokens, error, scratch);
    }
    else
    {
        ep_held_block(block - ranks - EP_COUNT_BLOCKS - 1, topkIdx, heldIdx, tokens, heldDiffers);
    }
}

// Tokens per block of ep_sanitize_routing: one thread per (token, slot), so a row's K ids are K coalesced loads of K
// threads rather than K loads in turn of one (EpRules caps top-k at 32, so a block holds at least 8 tokens).
#define EP_SANITIZE_TOKENS (EP_THREADS / EP_TOPK)

// The work of block `block` (see ep_sanitize_routing); every thread of the block calls it.
__device__ __forceinline__ void ep_sanitize_block(int block, const ep_i64* topkIdx, const float* topkWeights, int tokens,
    int paddedTokens, ep_i64* sanitizedIdx, float* sanitizedWeights, ep_i64* error, const ep_i64* heldRows, int* counts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    __shared__ ep_i64 blockIds[EP_SANITIZE_TOKENS * EP_TOPK];
    __shared__ int rebuild;
    int local = threadIdx.x / EP_TOPK, k = threadIdx.x % EP_TOPK;
    int t = block * EP_SANITIZE_TOKENS + local;
    bool mine = local < EP_SANITIZE_TOKENS && t < paddedTokens;
    ep_i64 at = (ep_i64)t * EP_TOPK + k;

    // Every load first, none depending on another: the id, its weight and the id the table held.
    ep_i64 id = -1, held = 0;
    float weight = 0.0f;
    if (mine && t < tokens)
    {
        id = topkIdx[at];
        weight = topkWeights[at];
    }

    if (mine && heldRows != 0)
    {
        held = sanitizedIdx[at];
    }

    if (threadIdx.x == 0)
    {
        rebuild = heldRows == 0 || *heldRows != paddedTokens ? 1 : 0;
    }

    if (mine)
    {
        blockIds[threadIdx.x] = id;
    }

    __syncthreads();
    ep_i64 best = EP_NO_ERROR;
    if (mine)
    {
        int kind;
        bool bad = ep_entry_bad(blockIds + local * EP_TOPK, k, &kind);
        ep_i64 kept = bad ? -1 : id;
        if (bad)
        {
            best = at * 2 + kind;
        }

        if (heldRows != 0 && held != kept)
        {
            rebuild = 1; // every writer writes the same value
        }

        sanitizedIdx[at] = kept;
        sanitizedWeights[at] = bad ? 0.0f : weight;
        if (counts != 0 && kept >= 0)
        {
            atomicAdd(&counts[kept], 1);
        }
    }

    // One barrier decides whether any thread found a bad entry (the common case: none), so the block-wide min, eight
    // barriers more, runs only when one did. Either way a barrier orders the writes of rebuild before thread 0 reads it.
    ep_i64 lowest = __syncthreads_or(best != EP_NO_ERROR) ? ep_block_min_key(best, scratch) : EP_NO_ERROR;
    if (threadIdx.x == 0)
    {
        ep_i64 value = 0, firstSlot = -1;
        if (lowest != EP_NO_ERROR)
        {
            ep_i64 entry = lowest / 2;
            ep_i64 row = entry / EP_TOPK * EP_TOPK;
            value = topkIdx[entry];
            for (ep_i64 j = row; lowest % 2 != 0 && j < entry; j++)
            {
                if (topkIdx[j] == value && firstSlot < 0)
                {
                    firstSlot = j - row;
                }
            }
        }

        ep_i64* record = error + 4 * (ep_i64)block;
        record[0] = lowest;
        record[1] = value;
        record[2] = firstSlot;
        record[3] = rebuild;
    }
}

// A captured step's routing check (CUDA graphs cannot stop for the host), one thread per (token, slot), grid =
// ⌈paddedTokens / EP_SANITIZE_TOKENS⌉. Copies the caller's [T, K] ids and weights into the layer's own tables of
// paddedTokens ≥ T rows, with every bad entry (ep_entry_bad) replaced by id −1 and weight 0, so NCCL EP — which aborts
// on a bad id — only ever sees good ones; rows [T, paddedTokens) name no expert. Block b writes error[4b .. 4b + 3] =
// its lowest bad entry's key (EP_NO_ERROR if none), that entry's id, for a repeat the slot that named the expert first
// (−1 for an id out of range), and whether NCCL EP's handle must be rebuilt for its rows: 1 when heldRows is null, when
// *heldRows (the rows the handle was last built from, out of this same table) is not paddedTokens, or when one of the
// block's ids differs from the one the table held; else 0. The host reads the lowest key over all blocks once the step
// has run; ep_decide_handle_update reads the last words. Each block owns its record (no atomics there).
// With counts (a captured LowLatency step across ranks; null otherwise: EP_EXPERTS ints, zero on entry) every block adds
// the entries it kept for expert e to counts[e] — what NCCL EP's dispatch will deliver to e from this rank — so that
// the step knows its groups' counts before NCCL EP has dispatched; ep_clear_rows_past_counts reads them and zeroes them
// again for the next replay. (At one rank, ep_sanitize_routing_clearing_groups counts in the same launch.)
extern "C" __global__ void ep_sanitize_routing(const ep_i64* topkIdx, const float* topkWeights, int tokens, int paddedTokens,
    ep_i64* sanitizedIdx, float* sanitizedWeights, ep_i64* error, const ep_i64* heldRows, int* counts)
{
    ep_sanitize_block(blockIdx.x, topkIdx, topkWeights, tokens, paddedTokens, sanitizedIdx, sanitizedWeights, error, heldRows, counts);
}
