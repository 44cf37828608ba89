// Ep's one kernel that is not part of a layer's source: a captured HighThroughput step's choice whether to rebuild NCCL
// EP's handle (src/Ep.Runtime/Engines/NcclEp/NcclEpLayer.CapturedHandle.cs). It sets a CUDA graph's conditional node,
// which needs the device runtime's cudaGraphSetConditional; the runtime compiles this file on its own (NVRTC, no include
// paths), so a toolkit that cannot compile it costs only that feature — the layer's graphs then rebuild the handle
// every replay — and never a layer's kernels. CI compiles it to PTX with clang-14 and tests/kernels/prelude.cuh, as
// the layer kernels.

// cuda_device_runtime_api.h's declaration: a runtime builtin that NVRTC compiles inline (nothing is linked); the CI
// prelude defines __cudart_builtin__ for clang.
extern "C" __device__ __cudart_builtin__ void cudaGraphSetConditional(unsigned long long handle, unsigned int value);

#define EP_THREADS 256

typedef long long ep_i64;

// One block of EP_THREADS threads, after every rank's ep_sanitize_routing records were gathered (records[4r + 3],
// recordCount of them): sets the graph's IF node around ncclEpUpdateHandle to 1 when any record asks for a rebuild,
// else 0 — every rank reads the same records, so all of them rebuild or none does — and notes that the handle now
// holds the table's first rows rows (state[0]) and, as a count for tests and the benchmark, how many replays rebuilt
// it (state[1]).
extern "C" __global__ void ep_decide_handle_update(const ep_i64* records, int recordCount, ep_i64* state, int rows,
    unsigned long long conditional)
{
    __shared__ int rebuild;
    if (threadIdx.x == 0)
    {
        rebuild = 0;
    }

    __syncthreads();
    for (int r = threadIdx.x; r < recordCount; r += EP_THREADS)
    {
        if (records[4 * (ep_i64)r + 3] != 0)
        {
            rebuild = 1; // every writer writes the same value
        }
    }

    __syncthreads();
    if (threadIdx.x == 0)
    {
        cudaGraphSetConditional(conditional, rebuild);
        state[0] = rows;
        state[1] += rebuild;
    }
}
