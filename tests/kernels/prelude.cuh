// CI-only prelude: lets clang compile Ep's self-contained kernels to PTX with no CUDA toolkit
// (clang -x cuda --cuda-device-only -nocudainc -nocudalib -include prelude.cuh). NVRTC never sees this file: it
// defines these keywords itself. Only what the kernels use is declared here.
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))

// NVRTC's mark of a CUDA runtime builtin (cudaGraphSetConditional); clang only needs the declaration.
#define __cudart_builtin__

// NVRTC's atomicAdd on an int (global or shared memory), from clang's NVPTX builtin.
static __device__ __forceinline__ int atomicAdd(int* address, int value)
{
    return __nvvm_atom_add_gen_i(address, value);
}

// NVRTC's other integer atomics that the routing record and the ranks in expert use (global or shared memory).
static __device__ __forceinline__ unsigned int atomicAdd(unsigned int* address, unsigned int value)
{
    return (unsigned int)__nvvm_atom_add_gen_i((int*)address, (int)value);
}

static __device__ __forceinline__ unsigned long long atomicAdd(unsigned long long* address, unsigned long long value)
{
    return (unsigned long long)__nvvm_atom_add_gen_ll((long long*)address, (long long)value);
}

static __device__ __forceinline__ unsigned long long atomicMax(unsigned long long* address, unsigned long long value)
{
    return __nvvm_atom_max_gen_ull(address, value);
}

static __device__ __forceinline__ unsigned int atomicOr(unsigned int* address, unsigned int value)
{
    return (unsigned int)__nvvm_atom_or_gen_i((int*)address, (int)value);
}

// NVRTC's population count of a 32-bit word.
static __device__ __forceinline__ int __popc(unsigned int value)
{
    return __builtin_popcount(value);
}

// NVRTC's block barriers that also count, or OR, a predicate over the block's threads.
static __device__ __forceinline__ int __syncthreads_count(int predicate)
{
    return __nvvm_bar0_popc(predicate);
}

static __device__ __forceinline__ int __syncthreads_or(int predicate)
{
    return __nvvm_bar0_or(predicate);
}

// threadIdx, blockIdx, blockDim, gridDim.
#include <__clang_cuda_builtin_vars.h>
