// Routing-weight gradients: dot products of two bf16 rows, summed in fp32 in ascending h by one thread each, the
// order docs/semantics.md fixes, so the result matches the Reference engine bit for bit. That order leaves one
// independent stream per (row, slot) — 32768 threads at ep_bench's sizes, an eighth of one wave on an H100 — so these
// kernels are held by how well each thread's serial stream of loads is served, not by the adds (bench/RESULTS.md run 5).

// A 16-byte read-only load that asks L2 to fetch the surrounding 256 bytes from memory. Each thread walks its own two
// rows, so without the hint DRAM serves tens of thousands of interleaved 32-byte requests; with it, 256-byte ones:
// ep_weight_grads_flat 322 → 270 µs on an H100 (loading 8 vectors ahead, or an L2 prefetch instruction, gained
// nothing). Inline PTX, the one place the kernels use it; sm_80 introduced the qualifier, older GPUs get a plain load.
__device__ __forceinline__ ep_vec8 ep_load_streamed(const ep_vec8* p)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    ep_vec8 v;
    asm("ld.global.nc.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.w[0]), "=r"(v.w[1]), "=r"(v.w[2]), "=r"(v.w[3]) : "l"(p));
    return v;
#else
    return *p;
#endif
}

__device__ __forceinline__ float ep_row_dot(const ep_bf16* a, const ep_bf16* b)
{
    // 16-byte loads, several in flight (unrolled); the sum still runs over h = 0, 1, 2, … one product at a time:
    // element 2i of a vector is the low half of word i, element 2i + 1 the high half.
    const ep_vec8* va = (const ep_vec8*)a;
    const ep_vec8* vb = (const ep_vec8*)b;
    float acc = 0.0f;
#pragma unroll 4
    for (int v = 0; v < EP_ROW_VECTORS; v++)
    {
        ep_vec8 x = ep_load_streamed(va + v);
        ep_vec8 y = ep_load_streamed(vb + v);
        for (int i = 0; i < 4; i++)
        {
            acc += ep_bits_to_float(x.w[i] << 16) * ep_bits_to_float(y.w[i] << 16);
            acc += ep_bits_to_float(x.w[i] & 0xFFFF0000u) * ep_bits_to_float(y.w[i] & 0xFFFF0000u);
        }
    }

    return acc;
}

// One thread per (received row n, slot j): gradWeights[n·K + j] = ⟨gradRows[n], expertOutput[m(n, j)]⟩ (0 at padding).
extern "C" __global__ void ep_weight_grads_flat(const ep_bf16* gradRows, const ep_bf16* expertOutput, const int* permutedRow,
    int rows, float* gradWeights)
{
    ep_i64 i = (ep_i64)blockIdx.x * EP_THREADS + threadIdx.x;
    if (i >= (ep_i64)rows * EP_TOPK)
    {
        return;
    }

    int m = permutedRow[i];
    gradWeights[i] = m < 0 ? 0.0f : ep_row_dot(gradRows + (i / EP_TOPK) * EP_HIDDEN, expertOutput + (ep_i64)m * EP_HIDDEN);
}

// One thread per expert-major row r: gradWeights[r] = ⟨gradRows[r], expertOutput[r]⟩ (0 for padding rows).
extern "C" __global__ void ep_weight_grads_rows(const ep_bf16* gradRows, const ep_bf16* expertOutput, const int* rowSource,
    int rows, float* gradWeights)
{
    ep_i64 r = (ep_i64)blockIdx.x * EP_THREADS + threadIdx.x;
    if (r >= rows)
    {
        return;
    }

    gradWeights[r] = rowSource[r] < 0 ? 0.0f : ep_row_dot(gradRows + r * EP_HIDDEN, expertOutput + r * EP_HIDDEN);
}
