using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;
using Xunit;

namespace Ep.Runtime.Tests.Interop;

/// <summary>
/// Struct sizes and enum values that must equal the C headers' (nccl.h, cuda.h): a wrong one corrupts memory or calls
/// the wrong function silently, so they are pinned here rather than discovered on a GPU.
/// </summary>
public sealed class NativeLayoutTests
{
    // CUgraphNodeParams: type, three reserved ints, then the union (CUDA_CONDITIONAL_NODE_PARAMS: handle, type, size,
    // phGraph_out, ctx), 29 reserved long longs wide, then one more: cuGraphAddNode reads all 256 bytes.
    [Fact]
    public void Cuda_graph_node_params_are_256_bytes_with_the_conditional_fields_where_cuda_h_puts_them()
    {
        Assert.Equal(256, Unsafe.SizeOf<CudaGraphNodeParams>());
        Assert.Equal(
            [0, 16, 24, 28, 32, 40],
            new[]
            {
                nameof(CudaGraphNodeParams.Type), nameof(CudaGraphNodeParams.ConditionalHandle), nameof(CudaGraphNodeParams.ConditionalType),
                nameof(CudaGraphNodeParams.BodyCount), nameof(CudaGraphNodeParams.Bodies), nameof(CudaGraphNodeParams.Context),
            }.Select(field => (int)Marshal.OffsetOf<CudaGraphNodeParams>(field)).ToArray());
        Assert.Equal((13, 0), (CudaGraphNodeParams.ConditionalNode, CudaGraphNodeParams.If));
    }

    [Fact]
    public void Nccl_unique_id_is_128_bytes() => Assert.Equal(128, Unsafe.SizeOf<NcclUniqueId>());

    [Theory]
    [InlineData((int)NcclDataType.Int32, 2)]
    [InlineData((int)NcclDataType.Int64, 4)]
    [InlineData((int)NcclDataType.Float16, 6)]
    [InlineData((int)NcclDataType.Float32, 7)]
    [InlineData((int)NcclDataType.BFloat16, 9)]
    public void Nccl_data_types_match_nccl_h(int type, int value) => Assert.Equal(value, type);

    [Theory]
    [InlineData((int)NcclResult.Success, 0)]
    [InlineData((int)NcclResult.InvalidArgument, 4)]
    [InlineData((int)NcclResult.InvalidUsage, 5)]
    [InlineData((int)NcclResult.InProgress, 7)]
    public void Nccl_results_match_nccl_h(int result, int value) => Assert.Equal(value, result);

    [Fact]
    public void Nccl_sum_and_symmetric_window_flag_match_nccl_h()
    {
        Assert.Equal(0, (int)NcclReduceOp.Sum);
        Assert.Equal(1, Nccl.WindowCollectiveSymmetric);
    }

    [Theory]
    [InlineData((int)CudaDeviceAttribute.MultiprocessorCount, 16)]
    [InlineData((int)CudaDeviceAttribute.ComputeCapabilityMajor, 75)]
    [InlineData((int)CudaDeviceAttribute.ComputeCapabilityMinor, 76)]
    [InlineData((int)CudaDeviceAttribute.MaxSharedMemoryPerBlockOptin, 97)]
    [InlineData((int)CudaDeviceAttribute.MaxThreadsPerMultiprocessor, 39)]
    public void Cuda_device_attributes_match_cuda_h(int attribute, int value) => Assert.Equal(value, attribute);

    // CUfunction_attribute: the benchmark's resource report reads these through cuFuncGetAttribute.
    [Theory]
    [InlineData((int)CudaFunctionAttribute.MaxThreadsPerBlock, 0)]
    [InlineData((int)CudaFunctionAttribute.SharedSizeBytes, 1)]
    [InlineData((int)CudaFunctionAttribute.ConstSizeBytes, 2)]
    [InlineData((int)CudaFunctionAttribute.LocalSizeBytes, 3)]
    [InlineData((int)CudaFunctionAttribute.NumRegs, 4)]
    [InlineData((int)CudaFunctionAttribute.MaxDynamicSharedSizeBytes, 8)]
    public void Cuda_function_attributes_match_cuda_h(int attribute, int value) => Assert.Equal(value, attribute);

    [Theory]
    [InlineData((int)CudaResult.NotReady, 600)]
    [InlineData((int)CudaResult.IllegalAddress, 700)]
    [InlineData((int)CudaResult.LaunchFailed, 719)]
    public void Cuda_results_match_cuda_h(int result, int value) => Assert.Equal(value, result);
}
