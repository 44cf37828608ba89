// Layout on the receiving rank, after the exchange: where each (received row, slot) goes in the expert-major order.
// The host already knows every count (gathered before the exchange), so these kernels only place rows.

// ep_rank_in_expert works on tiles of EP_RANK_TILE_ROWS received rows, a thread per row (grid = ⌈rows /
// EP_RANK_TILE_ROWS⌉; StagedKernels.RankTiles must match), and on at most EP_RANK_EXPERTS local experts at a time in
// shared memory (a layer with more takes them in turns).
#define EP_RANK_TILE_ROWS EP_THREADS
#define EP_RANK_TILE_WORDS (EP_RANK_TILE_ROWS / 32)
#define EP_RANK_EXPERTS (EP_EXPERTS < 1024 ? EP_EXPERTS : 1024)

// Loads received row n's K local ids (−1 past the rows that arrived).
__device__ __forceinline__ void ep_load_row_ids(const ep_i64* recvIdx, int n, int rowsNow, ep_i64* ids)
{
#pragma unroll
    for (int j = 0; j < EP_TOPK; j++)
    {
        ids[j] = n < rowsNow ? recvIdx[(ep_i64)n * EP_TOPK + j] : -1;
    }
}

// Part 1 of ep_rank_in_expert: tileCounts[tile · L + e] = the rows of the tile that name local expert e. Tiles past
// the rows that arrived (rowCount: see ep_rows_now) write nothing: part 2 never reads them.
extern "C" __global__ void ep_count_expert_tiles(const ep_i64* recvIdx, int rows, int localExperts, int* tileCounts, const int* rowCount)
{
    __shared__ unsigned int tally[EP_RANK_EXPERTS];
    int rowsNow = ep_rows_now(rows, rowCount);
    int tile = blockIdx.x;
    if (tile * EP_RANK_TILE_ROWS >= rowsNow)
    {
        return; // the whole block
    }

    ep_i64 ids[EP_TOPK];
    ep_load_row_ids(recvIdx, tile * EP_RANK_TILE_ROWS + threadIdx.x, rowsNow, ids);
    for (int base = 0; base < localExperts; base += EP_RANK_EXPERTS)
    {
        for (int e = threadIdx.x; e < EP_RANK_EXPERTS; e += EP_THREADS)
        {
            tally[e] = 0u;
        }

        __syncthreads();
#pragma unroll
        for (int j = 0; j < EP_TOPK; j++)
        {
            if (ids[j] >= base && ids[j] < base + EP_RANK_EXPERTS && ids[j] < localExperts)
            {
                atomicAdd(&tally[(int)(ids[j] - base)], 1u);
            }
        }

        __syncthreads();
        for (int e = threadIdx.x; e < EP_RANK_EXPERTS && base + e < localExperts; e += EP_THREADS)
        {
            tileCounts[(ep_i64)tile * localExperts + base + e] = (int)tally[e];
        }

        __syncthreads(); // the counts are read before the next turn zeroes them
    }
}

// Part 2: rankInExpert[n·K + j] = how many earlier received rows name e, for the slot j of row n that names local
// expert e (rows name an expert at most once; slots naming none are left as they are): the rows of earlier tiles
// (part 1's counts) plus the rows before n in n's tile, counted in a bitmap per expert (a bit per row of the tile).
// rowCount: see ep_rows_now. expertCount (null in eager steps, whose counts come from the gathered routing): receives
// e's total, the rows that name it — a captured HighThroughput Flat step's counts — from the last tile (block 0 when
// no row arrived).
extern "C" __global__ void ep_rank_in_expert(const ep_i64* recvIdx, int rows, int localExperts, const int* tileCounts, int* rankInExpert,
    const int* rowCount, int* expertCount)
{
    __shared__ unsigned int bitmap[EP_RANK_EXPERTS * EP_RANK_TILE_WORDS];
    __shared__ int before[EP_RANK_EXPERTS];
    int rowsNow = ep_rows_now(rows, rowCount);
    int tiles = (rowsNow + EP_RANK_TILE_ROWS - 1) / EP_RANK_TILE_ROWS;
    int tile = blockIdx.x;
    bool countsHere = expertCount != 0 && tile == (tiles > 0 ? tiles - 1 : 0);
    if (tile >= tiles && !countsHere)
    {
        return; // the whole block
    }

    int n = tile * EP_RANK_TILE_ROWS + threadIdx.x;
    ep_i64 ids[EP_TOPK];
    ep_load_row_ids(recvIdx, n, rowsNow, ids);
    int word = threadIdx.x / 32;
    unsigned int bit = 1u << (threadIdx.x % 32);
    for (int base = 0; base < localExperts; base += EP_RANK_EXPERTS)
    {
        for (int w = threadIdx.x; w < EP_RANK_EXPERTS * EP_RANK_TILE_WORDS; w += EP_THREADS)
        {
            bitmap[w] = 0u;
        }

        for (int e = threadIdx.x; e < EP_RANK_EXPERTS && base + e < localExperts; e += EP_THREADS)
        {
            int sum = 0;
            for (int t = 0; t < tile; t++)
            {
                sum += tileCounts[(ep_i64)t * localExperts + base + e];
            }

            before[e] = sum;
        }

        __syncthreads();
#pragma unroll
        for (int j = 0; j < EP_TOPK; j++)
        {
            if (ids[j] >= base && ids[j] < base + EP_RANK_EXPERTS && ids[j] < localExperts)
            {
                atomicOr(&bitmap[(int)(ids[j] - base) * EP_RANK_TILE_WORDS + word], bit);
            }
        }

        __syncthreads();
#pragma unroll
        for (int j = 0; j < EP_TOPK; j++)
        {
            if (ids[j] >= base && ids[j] < base + EP_RANK_EXPERTS && ids[j] < localExperts)
            {
                int e = (int)(ids[j] - base);
                const unsigned int* rowsOfE = bitmap + e * EP_RANK_TILE_WORDS;
                int rank = before[e] + __popc(rowsOfE[word] & (bit - 1u));
                for (int w = 0; w < word; w++)
                {
                    rank += __popc(rowsOfE[w]);
                }

                rankInExpert[(ep_i64)n * EP_TOPK + j] = rank;
            }
        }

        if (countsHere)
        {
            for (int e = threadIdx.x; e < EP_RANK_EXPERTS && base + e < localExperts; e += EP_THREADS)
            {
                int total = before[e];
                for (int w = 0; w < EP_RANK_TILE_WORDS; w++)
                {
                    total += __popc(bitmap[e * EP_RANK_TILE_WORDS + w]);
                }

                expertCount[base + e] = total;
            }
        }

        __syncthreads(); // every read of the bitmap and the prefixes is done before the next turn rewrites them
    }
}

// One block. pairStart[n] = Σ_{n' < n} (valid slots of row n'): where row n's (row, expert) pairs start in the
// pair order (by row, then ascending local expert) that Combine and DispatchBackward return rows in.
extern "C" __global__ void ep_scan_pairs(const ep_i64* recvIdx, int rows, int* pairStart)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    unsigned long long running = 0ull;
    for (int base = 0; base < rows; base += EP_THREADS)
    {
        int n = base + threadIdx.x;
        unsigned long long valid = 0ull;
        if (n < rows)
        {
            for (int j = 0; j < EP_TOPK; j++)
            {
                if (recvIdx[(ep_i64)n * EP_TOPK + j] >= 0)
                {
                    valid++;
                }
            }
        }

        unsigned long long total;
        unsigned long long before = running + ep_block_exclusive_scan(valid, &total, scratch);
        if (n < rows)
        {
            pairStart[n] = (int)before;
        }

        running += total;
    }
}

// One thread per (row, slot). permutedRow[n·K + j] = expertOffset[e] + rankInExpert (−1 for padding slots): m(n, j).
// For the expert-major layouts (rowSource non-null) also records, per permuted row, its received row and slot; the
// host fills rowSource with −1 first, so padding rows stay −1. rowCount: see ep_rows_now.
extern "C" __global__ void ep_finish_rows(const ep_i64* recvIdx, const int* rankInExpert, const int* expertOffset, int rows,
    int* permutedRow, int* rowSource, int* rowSlot, const int* rowCount)
{
    ep_i64 i = (ep_i64)blockIdx.x * EP_THREADS + threadIdx.x;
    if (i >= (ep_i64)ep_rows_now(rows, rowCount) * EP_TOPK)
    {
        return;
    }

    ep_i64 e = recvIdx[i];
    if (e < 0)
    {
        permutedRow[i] = -1;
        return;
    }

    int m = expertOffset[e] + rankInExpert[i];
    permutedRow[i] = m;
    if (rowSource != 0)
    {
        rowSource[m] = (int)(i / EP_TOPK);
        rowSlot[m] = (int)(i % EP_TOPK);
    }
}

// One block. expertOffset[e] = Σ_{e' < e} expertCount[e']: the Flat groups' first rows from counts that exist only on
// the device (a captured HighThroughput step, where ep_rank_in_expert writes them; eager steps upload offsets the host
// computed from the gathered routing).
extern "C" __global__ void ep_group_offsets(const int* expertCount, int localExperts, int* expertOffset)
{
    __shared__ unsigned long long scratch[EP_THREADS];
    unsigned long long running = 0ull;
    for (int base = 0; base < localExperts; base += EP_THREADS)
    {
        int e = base + threadIdx.x;
        unsigned long long total;
        unsigned long long before = running + ep_block_exclusive_scan(e < localExperts ? (unsigned long long)expertCount[e] : 0ull, &total, scratch);
        if (e < localExperts)
        {
            expertOffset[e] = (int)before;
        }

        running += total;
    }
}

// One block per local expert e (grid = L): marks each expert-major row as real (its own index) or padding (−1), from
// the groups' first rows and real counts. For layouts another library filled (NCCL EP), where the rows were placed
// without this engine's row map; the marks let ep_scale_rows and ep_weight_grads_rows zero the padding.
extern "C" __global__ void ep_mark_rows(const int* expertOffset, const int* expertCount, int localExperts, int rows, int* rowSource)
{
    int e = blockIdx.x;
    int begin = expertOffset[e];
    int end = e + 1 < localExperts ? expertOffset[e + 1] : rows;
    int real = begin + expertCount[e];
    for (int m = begin + threadIdx.x; m < end; m += EP_THREADS)
    {
        rowSource[m] = m < real ? m : -1;
    }
}

// Group e of LowLatency's fixed groups, starting at row offset: zeroes the rows its buffer's previous step filled and
// this one does not, [offset + count, offset + before), and records filled[e] = count. The caller read before =
// filled[e] in every thread and passed a barrier since, so no thread reads it after thread 0 replaces it.
__device__ __forceinline__ void ep_clear_group_rows(int e, ep_i64 offset, int count, int before, int* filled, ep_bf16* rows)
{
    for (ep_i64 r = offset + count; r < offset + before; r++)
    {
        ep_zero_row(ep_row_out(rows, r));
    }

    if (threadIdx.x == 0)
    {
        filled[e] = count;
    }
}

// ep_clear_group_rows with its read of filled[e] and the barrier after it.
__device__ __forceinline__ void ep_clear_group_past(int e, int offset, int count, int* filled, ep_bf16* rows)
{
    int before = filled[e];
    __syncthreads();
    ep_clear_group_rows(e, offset, count, before, filled, rows);
}

// One block per local expert e (grid = L), for LowLatency's fixed groups. Zeroes the rows of e's group that an earlier
// step filled and this one does not, [offset + count, offset + filled[e]), then records filled[e] = count. NCCL EP LL
// writes each group's first rows and leaves the rest as they were; rows once cleared stay zero, so clearing only the
// rows the previous step filled keeps every group's padding zero for the cost of the rows that moved, instead of
// rewriting all L · R · MaxTokensPerRank rows each step. The host sets filled[e] to the group size whenever the
// padding is unknown (a new buffer, a poisoned one).
extern "C" __global__ void ep_clear_vacated_rows(const int* expertOffset, const int* expertCount, int* filled, ep_bf16* rows)
{
    int e = blockIdx.x;
    ep_clear_group_past(e, expertOffset[e], expertCount[e], filled, rows);
}

// As ep_clear_vacated_rows, with this step's counts known before NCCL EP's dispatch: every rank's ep_sanitize_routing
// counts, gathered (rank r's EP_EXPERTS ints at gathered + r · rankStride + countsAt, in 8-byte words), and
// count = Σ_r of their word firstExpert + e. It writes only rows past the count, which NCCL EP's dispatch does not
// touch, so a captured step across ranks runs it beside ncclEpDispatch instead of after it. Once read, this rank's own
// counts (localCounts, EP_EXPERTS = ranks · L ints) are zeroed for the next replay's sanitizing kernel: block e zeroes
// [e · ranks, e · ranks + ranks).
extern "C" __global__ void ep_clear_rows_past_counts(const int* expertOffset, const ep_i64* gathered, int ranks, ep_i64 rankStride, ep_i64 countsAt,
    int firstExpert, int* localCounts, int* filled, ep_bf16* rows)
{
    __shared__ int count;
    int e = blockIdx.x;
    if (threadIdx.x == 0)
    {
        // One word per rank (at most 64 ranks: NCCL EP's 8 × 8), loads independent of each other.
        int sum = 0;
        for (int r = 0; r < ranks; r++)
        {
            sum += ((const int*)(gathered + r * rankStride + countsAt))[firstExpert + e];
        }

        count = sum;
    }

    __syncthreads();
    for (int w = threadIdx.x; w < ranks; w += EP_THREADS)
    {
        localCounts[(ep_i64)e * ranks + w] = 0;
    }

    ep_clear_group_past(e, expertOffset[e], count, filled, rows);
}

// Whether row t of the caller's ids names expert e (a row that names it twice sends it once; an id out of range never
// equals e): at one rank, the rows NCCL EP's dispatch delivers to e are the rows that name it.
__device__ __forceinline__ bool ep_row_names_expert(const ep_i64* topkIdx, int t, int e)
{
    bool names = false;
#pragma unroll
    for (int k = 0; k < EP_TOPK; k++)
    {
        names = names || topkIdx[(ep_i64)t * EP_TOPK + k] == e;
    }

    return names;
}

// A captured LowLatency step at one rank: ep_sanitize_routing and the groups' padding clear in one launch, before
// NCCL EP's dispatch (grid = S + L, S = ⌈paddedTokens / EP_ENTRY_TOKENS⌉). Blocks [0, S) are ep_sanitize_routing's
// (no counts); block S + e counts group e's rows itself from the caller's ids (ep_row_names_expert: at one rank
// every row comes from them) and zeroes the rows the buffer's previous step filled past that count, as
// ep_clear_vacated_rows. The clear on a graph branch beside the dispatch (ep_clear_rows_past_counts, which several
// ranks need) held NCCL EP LL's dispatch back by ≈ 3.4 µs: that is a cooperative launch, which starts only once every
// one of its blocks fits on the GPU at the same time, and the clear's blocks took their place first.
extern "C" __global__ void ep_sanitize_routing_clearing_groups(const ep_i64* topkIdx, const float* topkWeights, int tokens,
    int paddedTokens, ep_i64* sanitizedIdx, float* sanitizedWeights, ep_i64* error, int groupRows, int* filled, ep_bf16* rows)
{
    int sanitizing = (paddedTokens + EP_ENTRY_TOKENS - 1) / EP_ENTRY_TOKENS;
    if ((int)blockIdx.x < sanitizing)
    {
        ep_sanitize_block(blockIdx.x, topkIdx, topkWeights, tokens, paddedTokens, sanitizedIdx, sanitizedWeights, error, 0, 0);
        return;
    }

    // Group e: the rows-filled word is loaded beside the ids, and each pass of EP_THREADS rows is counted by its own
    // barrier, which also orders every thread's read of filled[e] before thread 0 replaces it.
    int e = blockIdx.x - sanitizing;
    int before = filled[e];
    int count = 0, first = 0;
    do // at least once: with no tokens, the barrier still orders the reads of filled[e]
    {
        int t = first + threadIdx.x;
        count += __syncthreads_count(t < tokens && ep_row_names_expert(topkIdx, t, e));
        first += EP_THREADS;
    } while (first < tokens);

    ep_clear_group_rows(e, (ep_i64)e * groupRows, count, before, filled, rows);
}
