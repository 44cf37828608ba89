// Packing on the source rank: each token row goes to the send segment of every rank that owns one of its experts.

// One block per token (grid = tokens). Segment d starts at sendOffset[d] (rows); token t's row in it is
// position[d·T + t]. With sendIdx/sendWeights non-null (Dispatch), also writes the row's local expert ids ascending,
// padded with −1, and their weights (0 for padding); CombineBackward packs the gradient rows alone (both null).
extern "C" __global__ void ep_pack_rows(const ep_bf16* rows, const ep_i64* topkIdx, const float* topkWeights, int tokens,
    int localExperts, const int* position, const int* sendOffset, ep_bf16* sendRows, ep_i64* sendIdx, float* sendWeights)
{
    __shared__ ep_i64 ids[EP_TOPK];
    __shared__ float weights[EP_TOPK];
    __shared__ int slots[EP_TOPK];
    __shared__ int count;
    int t = blockIdx.x;
    if (threadIdx.x == 0)
    {
        count = ep_sorted_routes(topkIdx + (ep_i64)t * EP_TOPK, topkWeights != 0 ? topkWeights + (ep_i64)t * EP_TOPK : 0,
            ids, weights, slots);
    }

    __syncthreads();
    int begin = 0;
    while (begin < count)
    {
        int end = ep_rank_group_end(ids, begin, count, localExperts);
        int d = (int)(ids[begin] / localExperts);
        ep_i64 row = (ep_i64)sendOffset[d] + position[(ep_i64)d * tokens + t];
        ep_copy_row(ep_row_out(sendRows, row), ep_row(rows, t));
        if (sendIdx != 0 && threadIdx.x < EP_TOPK)
        {
            int j = threadIdx.x;
            bool used = j < end - begin;
            sendIdx[row * EP_TOPK + j] = used ? ids[begin + j] % localExperts : -1;
            sendWeights[row * EP_TOPK + j] = used ? weights[begin + j] : 0.0f;
        }

        begin = end;
    }
}
