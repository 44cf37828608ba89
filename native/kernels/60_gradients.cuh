// Routing-weight gradients: dot products of two bf16 rows, summed in fp32 in ascending h by one thread each, the
// order docs/semantics.md fixes, so the result matches the Reference engine bit for bit.

__device__ __forceinline__ float ep_row_dot(const ep_bf16* a, const ep_bf16* b)
{
    // 16-byte loads, several in flight (unrolled): one thread reads two whole rows, so the loads, not the adds, set the
    // pace. The sum still runs over h = 0, 1, 2, … one product at a time: element 2i of a vector is the low half of
    // word i, element 2i + 1 the high half.
    const ep_vec8* va = (const ep_vec8*)a;
    const ep_vec8* vb = (const ep_vec8*)b;
    float acc = 0.0f;
#pragma unroll 4
    for (int v = 0; v < EP_ROW_VECTORS; v++)
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
