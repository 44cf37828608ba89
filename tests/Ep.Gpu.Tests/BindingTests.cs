using System;
using System.IO;
using System.Linq;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;
using Ep.Interop.Nvrtc;
using Ep.Kernels;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>The CUDA driver, NVRTC and NCCL bindings against real libraries on a GPU machine.</summary>
public sealed class BindingTests
{
    // Rounds floats to bf16 on the device with the same bit formula Ep's kernels and BFloat16 use.
    private const string RoundingKernel = """
        extern "C" __global__ void round_bf16(const unsigned int* in, unsigned short* out, int n)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i >= n) return;
            unsigned int bits = in[i];
            bool nan = (bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0u;
            out[i] = nan ? (unsigned short)((bits >> 16) | 0x40u) : (unsigned short)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
        }
        """;

    [GpuFact]
    public void Opens_the_device_and_reads_its_architecture()
    {
        using CudaDevice device = CudaDevice.Open(0);
        Assert.Matches("^sm_[0-9]{2,3}$", device.Architecture);
        Assert.True(device.MultiprocessorCount > 0);
        Assert.False(string.IsNullOrWhiteSpace(device.Name));
        TestContext.Current.SendDiagnosticMessage($"{device.Name} {device.Architecture}, {device.MultiprocessorCount} SMs");
    }

    [GpuFact]
    public void Compiles_loads_and_runs_a_kernel_that_matches_BFloat16()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        var random = new Random(3);
        uint[] inputs = Enumerable.Range(0, 1 << 16).Select(_ => (uint)random.NextInt64(0, 1L << 32))
            .Concat(new uint[] { 0x7F7FFFFF, 0x7F800001, 0x3F808000, 0x3F818000, 0x00008000 }).ToArray();
        var cache = new KernelCache(Path.Combine(Path.GetTempPath(), "ep-test-kernels-" + Guid.NewGuid().ToString("N")));
        using KernelModule module = KernelLoader.Load(RoundingKernel, "round_bf16.cu", device, cache);
        using DeviceMemoryHandle input = DeviceBuffers.Upload<uint>(inputs, stream);
        using var output = DeviceMemoryHandle.Allocate(inputs.Length * sizeof(ushort));

        KernelLaunch.Run(module.Function("round_bf16"), ((uint)((inputs.Length + 255) / 256), 1), 256, 0, stream,
            new long[] { (long)input.Pointer, (long)output.Pointer, inputs.Length });
        ushort[] rounded = DeviceBuffers.Download<ushort>(output, inputs.Length, stream);

        for (int i = 0; i < inputs.Length; i++)
        {
            ushort expected = ((BFloat16)BitConverter.UInt32BitsToSingle(inputs[i])).RawBits;
            Assert.True(expected == rounded[i], $"input 0x{inputs[i]:X8}: device 0x{rounded[i]:X4}, BFloat16 0x{expected:X4}");
        }
    }

    [GpuFact]
    public void Second_load_comes_from_the_disk_cache()
    {
        using CudaDevice device = CudaDevice.Open(0);
        var cache = new KernelCache(Path.Combine(Path.GetTempPath(), "ep-test-kernels-" + Guid.NewGuid().ToString("N")));
        using KernelModule first = KernelLoader.Load(RoundingKernel, "round_bf16.cu", device, cache);
        using KernelModule second = KernelLoader.Load(RoundingKernel, "round_bf16.cu", device, cache);
        Assert.Equal(KernelOrigin.Compiled, first.Origin);
        Assert.Equal(KernelOrigin.DiskCache, second.Origin);
        Assert.True(File.Exists(second.CachePath));
        TestContext.Current.SendDiagnosticMessage($"first load {first.LoadTime.TotalMilliseconds:F1} ms, cached load {second.LoadTime.TotalMilliseconds:F1} ms");
    }

    [GpuTheory]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void Compile_errors_carry_the_nvrtc_log(string architecture)
    {
        var error = Assert.Throws<NvrtcException>(() =>
            NvrtcCompiler.Compile("extern \"C\" __global__ void broken() { undefined_name = 1; }", "broken.cu", architecture));
        Assert.Contains("undefined_name", error.Log, StringComparison.Ordinal);
        Assert.Contains(architecture, error.Message, StringComparison.Ordinal);
    }

    [GpuFact]
    public void Nccl_with_one_rank_all_reduces_and_sends_to_itself()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        NcclException.ThrowIfFailed(Nccl.GetVersion(out int version));
        Assert.True(version >= 21800, $"NCCL {version} is older than 2.18");
        NcclException.ThrowIfFailed(Nccl.GetUniqueId(out NcclUniqueId id));
        NcclException.ThrowIfFailed(Nccl.CommInitRank(out IntPtr communicator, 1, id, 0));
        try
        {
            float[] values = { 1.5f, -2f, 3.25f, 0f };
            using DeviceMemoryHandle send = DeviceBuffers.Upload<float>(values, stream);
            using var reduced = DeviceMemoryHandle.Allocate(values.Length * sizeof(float));
            using var received = DeviceMemoryHandle.Allocate(values.Length * sizeof(float));
            IntPtr s = stream.DangerousGetHandle();
            NcclException.ThrowIfFailed(Nccl.AllReduce(send.Pointer, reduced.Pointer, (nuint)values.Length, NcclDataType.Float32, NcclReduceOp.Sum, communicator, s));
            NcclException.ThrowIfFailed(Nccl.GroupStart());
            NcclException.ThrowIfFailed(Nccl.Send(send.Pointer, (nuint)values.Length, NcclDataType.Float32, 0, communicator, s));
            NcclException.ThrowIfFailed(Nccl.Recv(received.Pointer, (nuint)values.Length, NcclDataType.Float32, 0, communicator, s));
            NcclException.ThrowIfFailed(Nccl.GroupEnd());
            Assert.Equal(values, DeviceBuffers.Download<float>(reduced, values.Length, stream));
            Assert.Equal(values, DeviceBuffers.Download<float>(received, values.Length, stream));
            TestContext.Current.SendDiagnosticMessage($"NCCL {version}, windows: {Nccl.HasWindows}");
        }
        finally
        {
            NcclException.ThrowIfFailed(Nccl.CommDestroy(communicator));
        }
    }
}
