// Routing-weight gradients: dot products of two bf16 rows in fp32, one warp's worth of threads (EP_DOT_LANES) per
// dot. docs/semantics.md fixes the order so that the Reference engine (RowMath.Dot) matches bit for bit: lane l sums
// the products of vectors l, l + 32, l + 64, … (8 bf16 each, ascending h inside a vector) from +0, then the 32 partial
// sums meet in a fixed tree, p[l] += p[l + s] for s = 16, 8, 4, 2, 1. Until run 9 one thread summed all of h in
// ascending order: 32768 serial streams at ep_bench's sizes, an eighth of one wave, 65–67 % of a copy at best
// (bench/RESULTS.md runs 5–8); 32 lanes per dot read each row in coalesced 512-byte steps and fill the GPU.

#define EP_DOT_LANES 32
#define EP_DOTS_PER_BLOCK (EP_THREADS / EP_DOT_LANES)

// This lane's share of ⟨a, b⟩: vectors lane, lane + 32, … in ascending order; element 2i of a vector is the low half
// of word i, element 2i + 1 the high half. A product of two bf16 values is exact in fp32 (short of over- or
// underflow): only the adds round.
__device__ __forceinline__ float ep_lane_dot(const ep_bf16* a, const ep_bf16* b, int lane)
{
    const ep_vec8* va = (const ep_vec8*)a;
    const ep_vec8* vb = (const ep_vec8*)b;
    float acc = 0.0f;
#pragma unroll 4
    for (int v = lane; v < EP_ROW_VECTORS; v += EP_DOT_LANES)
    {
        ep_vec8 x = va[v];
        ep_vec8 y = vb[v];
        for (int i = 0; i < 4; i++)
        {
            acc += ep_bits_to_float(x.w[i] << 16) * ep_bits_to_float(y.w[i] << 16);
            acc += ep_bits_to_float(x.w[i] & 0xFFFF0000u) * ep_bits_to_float(y.w[i] & 0xFFFF0000u);
        }
    }

    return acc;
}

// The dot of each group of EP_DOT_LANES threads from their partial sums, by the fixed tree above (shared memory, not
// warp shuffles: the kernels use no warp intrinsics, see 00_common.cuh). Every thread of the block must call it; each
// gets its own group's dot.
__device__ __forceinline__ float ep_group_dot(float partial, float* scratch)
{
    int lane = threadIdx.x % EP_DOT_LANES;
    scratch[threadIdx.x] = partial;
    __syncthreads();
    for (int s = EP_DOT_LANES / 2; s > 0; s >>= 1)
    {
        float add = lane < s ? scratch[threadIdx.x + s] : 0.0f;
        __syncthreads();
        if (lane < s)
        {
            scratch[threadIdx.x] += add;
        }

        __syncthreads();
    }

    return scratch[threadIdx.x - lane];
}

// One group of lanes per (received row n, slot j): gradWeights[n·K + j] = ⟨gradRows[n], expertOutput[m(n, j)]⟩ (0 at
// padding). The K groups of one row sit in the same block or the next, so gradRows[n] is read from memory about once.
// rowCount: see ep_rows_now (a captured training step launches for the capacity).
extern "C" __global__ void ep_weight_grads_flat(const ep_bf16* gradRows, const ep_bf16* expertOutput, const int* permutedRow,
    int rows, float* gradWeights, const int* rowCount)
{
    __shared__ float partials[EP_THREADS];
    int lane = threadIdx.x % EP_DOT_LANES;
    ep_i64 i = (ep_i64)blockIdx.x * EP_DOTS_PER_BLOCK + threadIdx.x / EP_DOT_LANES;
    bool inRange = i < (ep_i64)ep_rows_now(rows, rowCount) * EP_TOPK;
    int m = inRange ? permutedRow[i] : -1;
    float partial = m < 0 ? 0.0f : ep_lane_dot(gradRows + (i / EP_TOPK) * EP_HIDDEN, expertOutput + (ep_i64)m * EP_HIDDEN, lane);
    float dot = ep_group_dot(partial, partials);
    if (inRange && lane == 0)
    {
        gradWeights[i] = m < 0 ? 0.0f : dot;
    }
}

// One group of lanes per expert-major row r: gradWeights[r] = ⟨gradRows[r], expertOutput[r]⟩ (0 for padding rows,
// which rowSource marks −1; a null rowSource marks none: a captured step has no row map, and no result reads a pad row).
extern "C" __global__ void ep_weight_grads_rows(const ep_bf16* gradRows, const ep_bf16* expertOutput, const int* rowSource,
    int rows, float* gradWeights, const int* rowCount)
{
    __shared__ float partials[EP_THREADS];
    int lane = threadIdx.x % EP_DOT_LANES;
    ep_i64 r = (ep_i64)blockIdx.x * EP_DOTS_PER_BLOCK + threadIdx.x / EP_DOT_LANES;
    rows = ep_rows_now(rows, rowCount);
    bool real = r < rows && (rowSource == 0 || rowSource[r] >= 0);
    float partial = real ? ep_lane_dot(gradRows + r * EP_HIDDEN, expertOutput + r * EP_HIDDEN, lane) : 0.0f;
    float dot = ep_group_dot(partial, partials);
    if (r < rows && lane == 0)
    {
        gradWeights[r] = real ? dot : 0.0f;
    }
}
