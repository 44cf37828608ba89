// Row movement on one rank: permute, unpermute and their gradients, for the Flat and expert-major layouts.

// One block per received row n (grid = rows). destination[m(n, j)] = source[n] for every valid slot j: a bit copy, or
// weight(n, j) · source[n] rounded once when weights is non-null (UnpermuteBackward, weighted). rowCount: see
// ep_rows_now (blocks past it have nothing to do).
extern "C" __global__ void ep_permute_rows(const ep_bf16* source, const int* permutedRow, const float* weights, int rows,
    ep_bf16* destination, const int* rowCount)
{
    ep_i64 n = blockIdx.x;
    if (n >= ep_rows_now(rows, rowCount))
    {
        return;
    }

    const ep_vec8* from = ep_row(source, n);
    for (int j = 0; j < EP_TOPK; j++)
    {
        int m = permutedRow[n * EP_TOPK + j];
        if (m < 0)
        {
            continue;
        }

        ep_vec8* to = ep_row_out(destination, m);
        if (weights == 0)
        {
            ep_copy_row(to, from);
        }
        else
        {
            float weight = weights[n * EP_TOPK + j];
            for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
            {
                to[c] = ep_scale_vec8(from[c], weight);
            }
        }
    }
}

// One block per received row n. destination[n] = Σ_j c(n, j) · source[m(n, j)] over valid j ascending, fp32, rounded
// once; c = weights[n·K + j] when weights is non-null, else 1 (Unpermute Flat; PermuteBackward Flat). rowCount: see
// ep_rows_now.
extern "C" __global__ void ep_gather_sum_rows(const ep_bf16* source, const int* permutedRow, const float* weights, int rows,
    ep_bf16* destination, const int* rowCount)
{
    ep_i64 n = blockIdx.x;
    if (n >= ep_rows_now(rows, rowCount))
    {
        return;
    }

    for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
    {
        float acc[8];
        for (int i = 0; i < 8; i++)
        {
            acc[i] = 0.0f;
        }

        for (int j = 0; j < EP_TOPK; j++)
        {
            int m = permutedRow[n * EP_TOPK + j];
            if (m < 0)
            {
                continue;
            }

            if (weights == 0)
            {
                ep_accumulate_plain(acc, ep_row(source, m)[c]);
            }
            else
            {
                ep_accumulate(acc, ep_row(source, m)[c], weights[n * EP_TOPK + j]);
            }
        }

        ep_row_out(destination, n)[c] = ep_round_vec8(acc);
    }
}

// One block per expert-major row r (grid = M). destination[r] = flatRows[rowSource[r]] (zero for padding, or left
// as it is when zeroPadding = 0: LowLatency's fixed groups, whose padding ep_clear_vacated_rows keeps zero), and
// destinationWeights[r] = flatWeights[rowSource[r]·K + rowSlot[r]] (0 for padding) when both are non-null.
// Builds the ExpertMajor / LowLatency dispatch layout and CombineBackward's expert-major gradient.
extern "C" __global__ void ep_expand_rows(const ep_bf16* flatRows, const float* flatWeights, const int* rowSource,
    const int* rowSlot, int rows, ep_bf16* destination, float* destinationWeights, int zeroPadding)
{
    ep_i64 r = blockIdx.x;
    int n = rowSource[r];
    if (n < 0)
    {
        if (zeroPadding != 0)
        {
            ep_zero_row(ep_row_out(destination, r));
        }
    }
    else
    {
        ep_copy_row(ep_row_out(destination, r), ep_row(flatRows, n));
    }

    if (destinationWeights != 0 && threadIdx.x == 0)
    {
        destinationWeights[r] = n < 0 ? 0.0f : flatWeights[(ep_i64)n * EP_TOPK + rowSlot[r]];
    }
}

// One block per expert-major row r. destination[r] = c(r) · source[r] rounded once (a bit copy when weights is null),
// zero for padding rows (rowSource[r] < 0; a null rowSource marks none). Unpermute, UnpermuteBackward and
// PermuteBackward in HighThroughput ExpertMajor (LowLatency's Unpermute is ep_copy_group_rows). rowCount: see
// ep_rows_now (a captured step's rows past NCCL EP's total are left alone: no token's Combine reads them).
extern "C" __global__ void ep_scale_rows(const ep_bf16* source, const int* rowSource, const float* weights, int rows,
    ep_bf16* destination, const int* rowCount)
{
    ep_i64 r = blockIdx.x;
    if (r >= ep_rows_now(rows, rowCount))
    {
        return;
    }

    ep_vec8* to = ep_row_out(destination, r);
    if (rowSource != 0 && rowSource[r] < 0)
    {
        ep_zero_row(to);
    }
    else if (weights == 0)
    {
        ep_copy_row(to, ep_row(source, r));
    }
    else
    {
        float weight = weights[r];
        const ep_vec8* from = ep_row(source, r);
        for (int c = threadIdx.x; c < EP_ROW_VECTORS; c += EP_THREADS)
        {
            to[c] = ep_scale_vec8(from[c], weight);
        }
    }
}

// LowLatency's fixed groups, grid = L · slices: block (e, s) copies the real rows of group e — expertOffset[e] + i for
// i = s, s + slices, … below expertCount[e] — from source to destination, and touches no padding row (each group's
// rows past its count, which ep_clear_vacated_rows keeps zero). LowLatency Unpermute (its Combine applies the weights):
// unlike ep_scale_rows, it needs no row map and launches no block per padding row of the fixed groups.
extern "C" __global__ void ep_copy_group_rows(const ep_bf16* source, const int* expertOffset, const int* expertCount, int slices,
    ep_bf16* destination)
{
    int e = blockIdx.x / slices;
    ep_i64 begin = expertOffset[e], count = expertCount[e];
    for (ep_i64 i = blockIdx.x % slices; i < count; i += slices)
    {
        ep_copy_row(ep_row_out(destination, begin + i), ep_row(source, begin + i));
    }
}

// One block per expert-major row r. Puts real rows in pair order (by received row, then slot) for the return trip:
// destination[pairStart[n] + j] = source[r] with (n, j) = (rowSource[r], rowSlot[r]); weights likewise when non-null.
extern "C" __global__ void ep_rows_to_pairs(const ep_bf16* source, const float* sourceWeights, const int* rowSource,
    const int* rowSlot, const int* pairStart, int rows, ep_bf16* destination, float* destinationWeights)
{
    ep_i64 r = blockIdx.x;
    int n = rowSource[r];
    if (n < 0)
    {
        return;
    }

    ep_i64 pair = (ep_i64)pairStart[n] + rowSlot[r];
    ep_copy_row(ep_row_out(destination, pair), ep_row(source, r));
    if (sourceWeights != 0 && threadIdx.x == 0)
    {
        destinationWeights[pair] = sourceWeights[r];
    }
}
