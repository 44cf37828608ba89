// Routing: validation, per-destination counts and positions, per-expert counts. Runs on the source rank before anything
// is exchanged, so the host can check errors and capacities (on every rank) before a byte is written.

// Tokens per block of the kernels that run a thread per (token, slot) — the routing record's summary and the captured
// step's check: a row's K ids are K coalesced loads of K threads rather than K loads in turn of one (EpRules caps top-k
// at 32, so a block holds at least 8 tokens). StagedKernels.EntryBlocks must match.
#define EP_ENTRY_TOKENS (EP_THREADS / EP_TOPK)

// This thread's (token, slot) entry in block `block` of such a kernel. The block's last EP_THREADS mod K threads make
// no whole token and have none (inBlock false).
struct ep_entry
{
    int local;    // the token within the block, in [0, EP_ENTRY_TOKENS] (EP_ENTRY_TOKENS: none)
    int slot;     // k
    int token;    // t
    ep_i64 at;    // t · K + k, the entry's index in a [T, K] table
    bool inBlock; // whether the thread has an entry of a whole token
};

__device__ __forceinline__ ep_entry ep_entry_of(int block)
{
    ep_entry e;
    e.local = threadIdx.x / EP_TOPK;
    e.slot = threadIdx.x % EP_TOPK;
    e.token = block * EP_ENTRY_TOKENS + e.local;
    e.at = (ep_i64)e.token * EP_TOPK + e.slot;
    e.inBlock = e.local < EP_ENTRY_TOKENS;
    return e;
}

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

// The lowest of every thread's bad-entry key (EP_NO_ERROR where a thread found none), every thread getting it. One
// barrier first decides whether any thread found one (the common case: none), so the block-wide min, eight barriers
// more, runs only when one did; either way the block passes at least that barrier.
__device__ __forceinline__ ep_i64 ep_block_lowest_bad(ep_i64 mine, unsigned long long* scratch)
{
    return __syncthreads_or(mine != EP_NO_ERROR) ? ep_block_min_key(mine, scratch) : EP_NO_ERROR;
}

// The destination scan reads the [T, K] table through tiles of whole tokens that the block loads together: lane i of
// a warp reads word i (coalesced), and the next tile's words are in flight while the current one is counted. A lane
// per token instead (stride K words) made every warp load touch 32 cache lines, which serialised in L1: 42.7 → 19.6 µs
// at 4096 tokens on an H100.
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
// and, when counts is non-null, counts[d] = rows sent to d, counts[ranks + d] = pairs sent to d. Ids outside [0, E)
// count as no expert (the host reports them from the routing record before using anything written here). Per tile:
// each word is marked 1 if its expert is on d (a range test: 64-bit division is a long software sequence), each thread sums the marks of its
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

    if (threadIdx.x == 0 && counts != 0)
    {
        counts[d] = (int)(running & 0xFFFFFFFFull);
        counts[ranks + d] = (int)(running >> 32);
    }
}

// The destination scan as a kernel of its own (grid R), for the kernel benchmark.
extern "C" __global__ void ep_scan_destinations(const ep_i64* topkIdx, int tokens, int ranks, int localExperts,
    int* position, int* pairPosition, int* counts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    ep_scan_block(blockIdx.x, topkIdx, tokens, ranks, localExperts, position, pairPosition, counts, scratch);
}

// Destination ranks a routing record's block tallies in shared memory: EpRules.MaxRanks (NCCL EP's 8 nodes × 8 GPUs).
#define EP_RANK_LIMIT 64

// Experts a summary block tallies in shared memory at a time (8 KB); a layer with more experts tallies them in turns.
#define EP_TALLY_EXPERTS (EP_EXPERTS < 2048 ? EP_EXPERTS : 2048)

// Summary block `block` of ep_route_record, a thread per (token, slot) as in ep_sanitize_block. The block tallies its
// rows in shared memory, then adds each non-zero tally to the record with one global atomic (fire-and-forget: nothing
// waits for the sums inside the launch). Block 0 also zeroes nextRecord, the record the following launch adds into.
__device__ __forceinline__ void ep_summary_block(int block, const ep_i64* topkIdx, int tokens, int ranks, int localExperts,
    ep_i64* record, ep_i64* nextRecord, int recordWords, const ep_i64* heldIdx, const float* topkWeights, ep_i64* idxCopy,
    float* weightsCopy, unsigned long long* scratch)
{
    __shared__ ep_i64 blockIds[EP_ENTRY_TOKENS * EP_TOPK];
    __shared__ unsigned long long destinationTally[EP_RANK_LIMIT]; // rows in the low 32 bits, pairs in the high 32
    __shared__ unsigned int expertTally[EP_TALLY_EXPERTS];
    __shared__ int differs;
    int* counts = (int*)(record + 1);
    if (block == 0)
    {
        for (int w = threadIdx.x; w < recordWords; w += EP_THREADS)
        {
            nextRecord[w] = 0;
        }
    }

    ep_entry entry = ep_entry_of(block);
    int local = entry.local, k = entry.slot;
    bool mine = entry.inBlock && entry.token < tokens;
    ep_i64 at = entry.at;
    ep_i64 id = mine ? topkIdx[at] : -1;
    bool changed = mine && heldIdx != 0 && heldIdx[at] != id;
    if (mine)
    {
        blockIds[threadIdx.x] = id;
    }

    // The copies (fire-and-forget stores; nothing here reads them): a rank without tokens gets its stand-in token's.
    bool copies = entry.inBlock && entry.token < (tokens > 0 ? tokens : 1);
    if (copies && idxCopy != 0)
    {
        idxCopy[at] = id;
    }

    if (copies && weightsCopy != 0)
    {
        weightsCopy[at] = mine ? topkWeights[at] : 0.0f;
    }

    for (int d = threadIdx.x; d < ranks; d += EP_THREADS)
    {
        destinationTally[d] = 0ull;
    }

    if (threadIdx.x == 0)
    {
        differs = heldIdx == 0 && block == 0 ? 1 : 0; // nothing held: block 0 says so
    }

    __syncthreads();
    ep_i64 best = EP_NO_ERROR;
    bool counted = false;
    if (mine)
    {
        int kind;
        if (ep_entry_bad(blockIds + local * EP_TOPK, k, &kind))
        {
            best = at * 2 + kind;
        }

        // Ids outside [0, E) count as no expert, as in ep_scan_block (the host reports them before using the counts).
        counted = id >= 0 && id < EP_EXPERTS;
        if (counted)
        {
            // The row goes to id's rank once, counted by its first slot on that rank; that slot also counts the row's
            // pairs there (its slots on the rank, a repeat included, as the expert counts include it).
            int rank = (int)id / localExperts; // ids below E fit an int, whose division is far shorter than an ep_i64's
            ep_i64 low = (ep_i64)rank * localExperts, high = low + localExperts;
            bool first = true;
            unsigned long long pairs = 0ull;
#pragma unroll
            for (int j = 0; j < EP_TOPK; j++)
            {
                ep_i64 other = blockIds[local * EP_TOPK + j];
                bool there = other >= low && other < high;
                first = first && !(there && j < k);
                pairs += there ? 1ull : 0ull;
            }

            if (first)
            {
                atomicAdd(&destinationTally[rank], (pairs << 32) | 1ull);
            }
        }

        if (changed)
        {
            differs = 1; // every writer writes the same value
        }
    }

    // The barrier inside also orders the tallies and `differs` before they are read.
    ep_i64 lowest = ep_block_lowest_bad(best, scratch);
    if (threadIdx.x == 0)
    {
        if (lowest != EP_NO_ERROR)
        {
            atomicMax((unsigned long long*)record, ~(unsigned long long)lowest); // the lowest key has the highest complement
        }

        if (differs != 0)
        {
            record[recordWords - 1] = 1; // every writer writes the same value
        }
    }

    for (int d = threadIdx.x; d < ranks; d += EP_THREADS)
    {
        unsigned long long tally = destinationTally[d];
        if (tally != 0ull)
        {
            atomicAdd(&counts[d], (int)(tally & 0xFFFFFFFFull));
            atomicAdd(&counts[ranks + d], (int)(tally >> 32));
        }
    }

    for (int base = 0; base < EP_EXPERTS; base += EP_TALLY_EXPERTS)
    {
        for (int e = threadIdx.x; e < EP_TALLY_EXPERTS; e += EP_THREADS)
        {
            expertTally[e] = 0u;
        }

        __syncthreads();
        if (counted && id >= base && id < base + EP_TALLY_EXPERTS)
        {
            atomicAdd(&expertTally[(int)(id - base)], 1u);
        }

        __syncthreads();
        for (int e = threadIdx.x; e < EP_TALLY_EXPERTS && base + e < EP_EXPERTS; e += EP_THREADS)
        {
            if (expertTally[e] != 0u)
            {
                atomicAdd(&counts[2 * ranks + base + e], (int)expertTally[e]);
            }
        }

        __syncthreads(); // the flush has read every tally before the next turn zeroes them
    }
}

// The routing record the host waits for before anything is exchanged (StagedRouteRecord, recordWords words):
// record[0] = the complement of the lowest bad entry's key (ep_entry_bad), 0 if none; then int32 counts: [d] = rows this
// rank sends to rank d, [ranks + d] = its (token, expert) pairs there, [2 · ranks + e] = its entries naming expert e; the
// last word = 1 if heldIdx is null (nothing held) or an entry differs from it, else 0 (the NcclEp engine keeps a
// HighThroughput handle whose ids every rank still has). A thread per (token, slot) over S = max(1, ⌈T /
// EP_ENTRY_TOKENS⌉) summary blocks, which add into the record with atomics — so it must be zero on entry. A layer
// keeps two records and uses them in turn: each launch zeroes nextRecord, the other one, whose read-back is earlier on
// the stream, so the next launch finds it zero with no memset and no pass after the last block. With position non-null
// (the Staged engine, whose pack needs them) blocks [0, ranks) first run ep_scan_block for every destination's send
// positions, and the summary blocks follow (grid = ranks + S); the NcclEp engine passes null (grid = S). With idxCopy
// and weightsCopy (each may be null) the summary blocks also copy the [T, K] ids and topkWeights there — the layer's
// own copies (into a spare it commits only once the checks passed), written while the host waits for the record
// instead of after it; with T = 0 row 0 gets the stand-in token the NcclEp engine gives NCCL EP (ids −1, weights 0).
extern "C" __global__ void ep_route_record(const ep_i64* topkIdx, int tokens, int ranks, int localExperts, int* position,
    int* pairPosition, ep_i64* record, ep_i64* nextRecord, int recordWords, const ep_i64* heldIdx, const float* topkWeights,
    ep_i64* idxCopy, float* weightsCopy)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    int scanning = position != 0 ? ranks : 0;
    if ((int)blockIdx.x < scanning)
    {
        ep_scan_block(blockIdx.x, topkIdx, tokens, ranks, localExperts, position, pairPosition, 0, scratch);
        return;
    }

    ep_summary_block(blockIdx.x - scanning, topkIdx, tokens, ranks, localExperts, record, nextRecord, recordWords, heldIdx,
        topkWeights, idxCopy, weightsCopy, scratch);
}

// The work of block `block` (see ep_sanitize_routing); every thread of the block calls it.
__device__ __forceinline__ void ep_sanitize_block(int block, const ep_i64* topkIdx, const float* topkWeights, int tokens,
    int paddedTokens, ep_i64* sanitizedIdx, float* sanitizedWeights, ep_i64* error, const ep_i64* heldRows, int* counts)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    __shared__ ep_i64 blockIds[EP_ENTRY_TOKENS * EP_TOPK];
    __shared__ int rebuild;
    ep_entry entry = ep_entry_of(block);
    int local = entry.local, k = entry.slot, t = entry.token;
    bool mine = entry.inBlock && t < paddedTokens;
    ep_i64 at = entry.at;

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

    // The barrier inside also orders the writes of rebuild before thread 0 reads it.
    ep_i64 lowest = ep_block_lowest_bad(best, scratch);
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
// ⌈paddedTokens / EP_ENTRY_TOKENS⌉. Copies the caller's [T, K] ids and weights into the layer's own tables of
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
