// Routing-weight gradients: dot products of two bf16 rows, summed in fp32 in ascending h by one thread each, the
// order docs/semantics.md fixes, so the result matches the Reference engine bit for bit.

__device__ __forceinline__ float ep_row_dot(const ep_bf16* a, const ep_bf16* b)
{
    float acc = 0.0f;
    for (int h = 0; h < EP_HIDDEN; h++)
    {
        acc += ep_bf16_to_float(a[h]) * ep_bf16_to_float(b[h]);
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
