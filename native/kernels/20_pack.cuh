// Packing on the source rank: each token row goes to the send segment of every rank that owns one of its experts.

// Vectors each thread keeps in flight while copying a row: four 16-byte loads issued before the first store.
#define EP_COPY_UNROLL 4

// One block per token (grid = tokens). Segment d starts at sendOffset[d] (rows); token t's row in it is
// position[d·T + t]. With sendIdx/sendWeights non-null (Dispatch), also writes the row's local expert ids ascending,
// padded with −1, and their weights (0 for padding); CombineBackward packs the gradient rows alone (both null).
// The source row is read once and stored to every destination from registers.
extern "C" __global__ void ep_pack_rows(const ep_bf16* rows, const ep_i64* topkIdx, const float* topkWeights, int tokens,
    int localExperts, const int* position, const int* sendOffset, ep_bf16* sendRows, ep_i64* sendIdx, float* sendWeights)
{
    __shared__ ep_i64 raw[EP_TOPK];
    __shared__ ep_i64 ids[EP_TOPK];
    __shared__ float weights[EP_TOPK];
    __shared__ int slots[EP_TOPK];
    __shared__ int groupOf[EP_TOPK];
    __shared__ int groupBegin[EP_TOPK + 1];
    __shared__ ep_i64 groupRow[EP_TOPK];
    int t = blockIdx.x;
    int count = ep_sorted_routes(topkIdx + (ep_i64)t * EP_TOPK, topkWeights != 0 ? topkWeights + (ep_i64)t * EP_TOPK : 0,
        threadIdx.x, true, raw, ids, weights, slots);
    int groups = ep_route_groups(ids, count, localExperts, threadIdx.x, true, groupOf, groupBegin);
    if (threadIdx.x < groups)
    {
        int d = (int)ids[groupBegin[threadIdx.x]] / localExperts;
        groupRow[threadIdx.x] = (ep_i64)sendOffset[d] + position[(ep_i64)d * tokens + t];
    }

    __syncthreads();
    // groups · K can pass EP_THREADS (K = 32 with many ranks), hence the loop.
    for (int s = threadIdx.x; sendIdx != 0 && s < groups * EP_TOPK; s += EP_THREADS)
    {
        int g = s / EP_TOPK;
        int j = s % EP_TOPK;
        int route = groupBegin[g] + j;
        bool used = route < groupBegin[g + 1];
        ep_i64 row = groupRow[g];
        sendIdx[row * EP_TOPK + j] = used ? (ep_i64)((int)ids[route] % localExperts) : -1;
        sendWeights[row * EP_TOPK + j] = used ? weights[route] : 0.0f;
    }

    const ep_vec8* source = ep_row(rows, t);
    for (int first = threadIdx.x; first < EP_ROW_VECTORS; first += EP_THREADS * EP_COPY_UNROLL)
    {
        ep_vec8 values[EP_COPY_UNROLL];
#pragma unroll
        for (int u = 0; u < EP_COPY_UNROLL; u++)
        {
            int c = first + u * EP_THREADS;
            if (c < EP_ROW_VECTORS)
            {
                values[u] = source[c];
            }
        }

        for (int g = 0; g < groups; g++)
        {
            ep_vec8* destination = ep_row_out(sendRows, groupRow[g]);
#pragma unroll
            for (int u = 0; u < EP_COPY_UNROLL; u++)
            {
                int c = first + u * EP_THREADS;
                if (c < EP_ROW_VECTORS)
                {
                    destination[c] = values[u];
                }
            }
        }
    }
}
