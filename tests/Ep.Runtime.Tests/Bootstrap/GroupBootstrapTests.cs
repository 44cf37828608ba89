using System;
using Ep.Bootstrap;
using Ep.Interop;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>EpGroup.FromEnvironment and FromCommunicator on a machine without GPU libraries (CI).</summary>
public sealed class GroupBootstrapTests
{
    [Fact]
    public void A_malformed_launch_is_reported_before_any_native_library_is_loaded()
    {
        var options = new EpBootstrapOptions { Environment = LaunchVariables.Of("EP_RANK=9", "EP_WORLD_SIZE=2") };

        var error = Assert.Throws<EpConfigurationException>(() => EpGroup.FromEnvironment(options));

        Assert.Equal("EP_RANK: expected an integer rank in [0, EP_WORLD_SIZE=2), got '9'.", error.Message);
    }

    [Fact]
    public void A_malformed_timeout_is_reported_before_any_native_library_is_loaded()
    {
        var options = new EpBootstrapOptions { Environment = LaunchVariables.Of("EP_BOOTSTRAP_TIMEOUT_S=never") };

        var error = Assert.Throws<EpConfigurationException>(() => EpGroup.FromEnvironment(options));

        Assert.StartsWith("EP_BOOTSTRAP_TIMEOUT_S:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_cuda_driver_the_loader_exception_lists_every_path_tried()
    {
        if (NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Cuda, out _, out _))
        {
            Assert.Skip("This machine has a CUDA driver; the missing-driver path is checked on CI.");
        }

        var error = Assert.Throws<EpNativeLibraryException>(() =>
            EpGroup.FromEnvironment(new EpBootstrapOptions { Environment = LaunchVariables.Of() }));

        Assert.Contains("libcuda.so.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("EP_CUDA_LIBRARY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCommunicator_refuses_a_null_communicator_and_the_cpu()
    {
        var nullComm = Assert.Throws<ArgumentException>(() => EpGroup.FromCommunicator(IntPtr.Zero, EpDevice.Gpu(0)));
        Assert.Equal("ncclComm", nullComm.ParamName);

        var cpu = Assert.Throws<ArgumentException>(() => EpGroup.FromCommunicator(new IntPtr(0x1000), EpDevice.Cpu));
        Assert.Equal("device", cpu.ParamName);
    }

    [Fact]
    public void FromCommunicator_without_nccl_gives_the_loader_exception()
    {
        if (NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Nccl, out _, out _))
        {
            Assert.Skip("This machine has NCCL; the missing-library path is checked on CI.");
        }

        var error = Assert.Throws<EpNativeLibraryException>(() => EpGroup.FromCommunicator(new IntPtr(0x1000), EpDevice.Gpu(0)));

        Assert.Contains("libnccl.so.2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_factory_without_a_cuda_driver_gives_the_loader_exception()
    {
        if (NativeLibraryLoader.TryLoad(NativeLibraryCandidates.Cuda, out _, out _))
        {
            Assert.Skip("This machine has a CUDA driver; the engine choice on a GPU is checked by the GPU suite.");
        }

        // The factory asks the GPU for its capability before choosing NcclEp or Staged: without a driver that fails first.
        var error = Assert.Throws<EpNativeLibraryException>(() => EpEngineFactory.ForCommunicator(new IntPtr(0x1000), 1, 4, EpDevice.Gpu(1)));

        Assert.Contains("libcuda.so.1", error.Message, StringComparison.Ordinal);
    }
}
