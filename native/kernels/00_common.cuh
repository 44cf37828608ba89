// Shared helpers of every Ep kernel. Self-contained on purpose: NVRTC compiles this text with no include paths, and
// CI compiles it with clang and no CUDA headers, so only language features and compiler builtins are used here
// (no <cuda_bf16.h>, no warp intrinsics, no atomics: integer results come from shared-memory scans, which are
// deterministic by construction).
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
// laid out in on the receiving rank. Run by one thread; K is at most 32.
__device__ __forceinline__ int ep_sorted_routes(const ep_i64* idx, const float* weights, ep_i64* ids, float* sortedWeights, int* slots)
{
    // The row's K ids and weights are loaded first, all at once (one global latency, not K in a row); the insertion
    // sort then runs on registers and the caller's shared arrays.
    ep_i64 rowIds[EP_TOPK];
    float rowWeights[EP_TOPK];
#pragma unroll
    for (int k = 0; k < EP_TOPK; k++)
    {
        rowIds[k] = idx[k];
        rowWeights[k] = weights != 0 ? weights[k] : 0.0f;
    }

    int count = 0;
#pragma unroll
    for (int k = 0; k < EP_TOPK; k++)
    {
        ep_i64 id = rowIds[k];
        if (id < 0 || id >= EP_EXPERTS)
        {
            continue;
        }

        int at = count;
        while (at > 0 && ids[at - 1] > id)
        {
            ids[at] = ids[at - 1];
            sortedWeights[at] = sortedWeights[at - 1];
            slots[at] = slots[at - 1];
            at--;
        }

        ids[at] = id;
        sortedWeights[at] = rowWeights[k];
        slots[at] = k;
        count++;
    }

    return count;
}

// End of the run of sorted routes [begin, count) that go to the same rank as routes[begin].
__device__ __forceinline__ int ep_rank_group_end(const ep_i64* ids, int begin, int count, int localExperts)
{
    ep_i64 rank = ids[begin] / localExperts;
    int end = begin + 1;
    while (end < count && ids[end] / localExperts == rank)
    {
        end++;
    }

    return end;
}
