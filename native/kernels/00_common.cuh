// Shared helpers of every Ep kernel. Self-contained on purpose: NVRTC compiles this text with no include paths, and
// CI compiles it with clang and no CUDA headers, so only language features and compiler builtins are used here
// (no <cuda_bf16.h>, no warp intrinsics, and atomics only where the result does not depend on their order: integer
// counts — ep_sanitize_routing's counts per expert, ep_route_record's and ep_count_expert_tiles' tallies —,
// ep_route_record's lowest error key and ep_rank_in_expert's bitmaps of rows (atomicOr); every other integer result
// comes from shared-memory scans or from the counting barrier __syncthreads_count, which are deterministic by
// construction).
//
// Layer constants arrive as the EP_* #defines the generator writes above this file; run-time sizes (tokens, rows,
// ranks) are kernel arguments. Every kernel runs with EP_THREADS threads per block.

#define EP_THREADS 256
#define EP_ROW_VECTORS (EP_HIDDEN / 8)
#define EP_NO_ERROR 0x7FFFFFFFFFFFFFFFLL

typedef unsigned short ep_bf16;
typedef long long ep_i64;

// Eight bf16 values: one 16-byte load or store (H is a multiple of 8, and rows start 16-byte aligned).
struct alignas(16) ep_vec8
{
    unsigned int w[4];
};

__device__ __forceinline__ float ep_bits_to_float(unsigned int bits)
{
    union { unsigned int u; float f; } pun;
    pun.u = bits;
    return pun.f;
}

__device__ __forceinline__ unsigned int ep_float_to_bits(float value)
{
    union { unsigned int u; float f; } pun;
    pun.f = value;
    return pun.u;
}

__device__ __forceinline__ float ep_bf16_to_float(ep_bf16 value)
{
    return ep_bits_to_float(((unsigned int)value) << 16);
}

// Round to nearest, ties to even; NaN stays NaN with the quiet bit set. The same formula as Ep.BFloat16.
__device__ __forceinline__ ep_bf16 ep_float_to_bf16(float value)
{
    unsigned int bits = ep_float_to_bits(value);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0u)
    {
        return (ep_bf16)((bits >> 16) | 0x40u);
    }

    return (ep_bf16)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

__device__ __forceinline__ const ep_vec8* ep_row(const ep_bf16* rows, ep_i64 row)
{
    return (const ep_vec8*)(rows + row * EP_HIDDEN);
}

__device__ __forceinline__ ep_vec8* ep_row_out(ep_bf16* rows, ep_i64 row)
{
    return (ep_vec8*)(rows + row * EP_HIDDEN);
}

__device__ __forceinline__ ep_vec8 ep_zero_vec8()
{
    ep_vec8 zero;
    zero.w[0] = 0u;
    zero.w[1] = 0u;
    zero.w[2] = 0u;
    zero.w[3] = 0u;
    return zero;
}

// acc[i] += scale * value[i]: a product rounded to fp32, then a separately rounded add (NVRTC runs with
// --fmad=false), the order the C# Reference engine uses.
__device__ __forceinline__ void ep_accumulate(float* acc, ep_vec8 value, float scale)
{
    for (int i = 0; i < 4; i++)
    {
        acc[2 * i] += scale * ep_bits_to_float(value.w[i] << 16);
        acc[2 * i + 1] += scale * ep_bits_to_float(value.w[i] & 0xFFFF0000u);
    }
}

// acc[i] += value[i], unweighted.
__device__ __forceinline__ void ep_accumulate_plain(float* acc, ep_vec8 value)
{
    for (int i = 0; i < 4; i++)
    {
        acc[2 * i] += ep_bits_to_float(value.w[i] << 16);
        acc[2 * i + 1] += ep_bits_to_float(value.w[i] & 0xFFFF0000u);
    }
}

__device__ __forceinline__ ep_vec8 ep_round_vec8(const float* acc)
{
    ep_vec8 out;
    for (int i = 0; i < 4; i++)
    {
        out.w[i] = (unsigned int)ep_float_to_bf16(acc[2 * i]) | ((unsigned int)ep_float_to_bf16(acc[2 * i + 1]) << 16);
    }

    return out;
}

// scale · value, rounded once per element.
__device__ __forceinline__ ep_vec8 ep_scale_vec8(ep_vec8 value, float scale)
{
    float acc[8];
    for (int i = 0; i < 8; i++)
    {
        acc[i] = 0.0f;
    }

    ep_accumulate(acc, value, scale);
    return ep_round_vec8(acc);
}

// Copies one row with 16-byte vectors; every thread of the block takes part.
__device__ __forceinline__ void ep_copy_row(ep_vec8* destination, const ep_vec8* source)
{
    for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
    {
        destination[c] = source[c];
    }
}

__device__ __forceinline__ void ep_zero_row(ep_vec8* destination)
{
    for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
    {
        destination[c] = ep_zero_vec8();
    }
}

// The rows a kernel works on: `rows` (the grid's) in an eager step, or the step's row count on the device when a
// captured HighThroughput step passes one (rowCount non-null): a CUDA graph is sized for the receive capacity and
// learns the real count from NCCL EP's counters only when it runs.
__device__ __forceinline__ int ep_rows_now(int rows, const int* rowCount)
{
    return rowCount != 0 ? *rowCount : rows;
}

// Block-wide exclusive prefix sum of one value per thread (Hillis-Steele in shared memory). Returns this thread's
// exclusive prefix and stores the block total in *total. Every thread of the block must call it.
__device__ __forceinline__ unsigned long long ep_block_exclusive_scan(unsigned long long value, unsigned long long* total,
    unsigned long long* scratch)
{
    int tid = threadIdx.x;
    scratch[tid] = value;
    __syncthreads();
    for (int offset = 1; offset < EP_THREADS; offset <<= 1)
    {
        unsigned long long add = tid >= offset ? scratch[tid - offset] : 0ull;
        __syncthreads();
        scratch[tid] += add;
        __syncthreads();
    }

    unsigned long long inclusive = scratch[tid];
    *total = scratch[EP_THREADS - 1];
    __syncthreads();
    return inclusive - value;
}

// Block-wide sum of one value per thread; every thread gets the result.
__device__ __forceinline__ unsigned long long ep_block_sum(unsigned long long value, unsigned long long* scratch)
{
    unsigned long long total;
    ep_block_exclusive_scan(value, &total, scratch);
    return total;
}

// A token's valid routes (id in [0, EP_EXPERTS)) sorted by expert id, with their weights and original top-k slots.
// Sorting by global id groups them by destination rank (id / L) and, within a rank, by local id: the order rows are
// laid out in on the receiving rank. Ranked on K threads at once (K <= 32): lane k loads route k and writes it at its
// rank, the number of valid routes before it (a smaller id, or the same id at a smaller k, so the order is stable).
// One thread sorting serially held every block's copy back behind K² dependent steps.
// Every thread of the block calls it (it synchronises); the threads that work on this token pass active = true and
// their lane (0, 1, … within the token's team of threads), the others only join the barriers. raw is K shared
// entries of scratch. Returns the valid count (0 where not active).
__device__ __forceinline__ int ep_sorted_routes(const ep_i64* idx, const float* weights, int lane, bool active, ep_i64* raw,
    ep_i64* ids, float* sortedWeights, int* slots)
{
    int k = lane;
    ep_i64 id = -1;
    float weight = 0.0f;
    if (active && k < EP_TOPK)
    {
        id = idx[k];
        weight = weights != 0 ? weights[k] : 0.0f;
        raw[k] = id;
    }

    __syncthreads();
    int count = 0;
    int rank = 0;
    if (active)
    {
#pragma unroll
        for (int j = 0; j < EP_TOPK; j++)
        {
            ep_i64 other = raw[j];
            bool otherValid = other >= 0 && other < EP_EXPERTS;
            count += otherValid ? 1 : 0;
            rank += otherValid && (other < id || (other == id && j < k)) ? 1 : 0;
        }
    }

    if (active && k < EP_TOPK && id >= 0 && id < EP_EXPERTS)
    {
        ids[rank] = id;
        sortedWeights[rank] = weight;
        slots[rank] = k;
    }

    __syncthreads();
    return count;
}

// Splits sorted routes [0, count) into runs that go to the same rank (id / L): route i's run is groupOf[i], run g
// starts at groupBegin[g] (groupBegin[runs] = count). Every thread calls it (it synchronises); lane and active as in
// ep_sorted_routes. Returns the run count (0 where not active).
__device__ __forceinline__ int ep_route_groups(const ep_i64* ids, int count, int localExperts, int lane, bool active, int* groupOf,
    int* groupBegin)
{
    int i = lane;
    // Ids are below EP_EXPERTS, so 32-bit division (64-bit division is a long software sequence).
    bool starts = active && i < count && (i == 0 || (int)ids[i] / localExperts != (int)ids[i - 1] / localExperts);
    if (active && i < count)
    {
        groupOf[i] = starts ? 1 : 0;
    }

    __syncthreads();
    int runs = 0;
    int mine = -1;
    for (int j = 0; active && j < count; j++)
    {
        int flag = groupOf[j];
        runs += flag;
        mine += j <= i ? flag : 0;
    }

    __syncthreads();
    if (active && i < count)
    {
        groupOf[i] = mine;
        if (starts)
        {
            groupBegin[mine] = i;
        }
    }

    if (active && i == 0)
    {
        groupBegin[runs] = count;
    }

    __syncthreads();
    return runs;
}
