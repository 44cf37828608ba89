using System.Collections.Generic;
using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>Deriving NCCL EP HT's run-time compile environment from EP_NCCL_EP_LIBRARY, on a fake file system.</summary>
public sealed class NcclEpJitEnvironmentTests
{
    private static NcclEpJitEnvironment Resolve(Dictionary<string, string> environment, params string[] existing)
    {
        var paths = new HashSet<string>(existing);
        return NcclEpJitEnvironment.Resolve(name => environment.TryGetValue(name, out string? v) ? v : null, paths.Contains, paths.Contains);
    }

    [Theory]
    [InlineData("/opt/nccl_ep/lib/libnccl_ep.so", "/opt/nccl_ep")]
    [InlineData("/opt/nccl_ep/lib64/libnccl_ep.so.0", "/opt/nccl_ep")]
    [InlineData("/opt/nccl_ep/build/libnccl_ep.so", null)]
    [InlineData(null, null)]
    public void Install_prefix_is_the_folder_above_lib(string? library, string? prefix)
    {
        Assert.Equal(prefix, NcclEpJitEnvironment.InstallPrefix(library));
    }

    [Fact]
    public void Homes_are_derived_from_the_library_prefix()
    {
        NcclEpJitEnvironment env = Resolve(new() { ["EP_NCCL_EP_LIBRARY"] = "/opt/ep/lib/libnccl_ep.so", ["CUDA_HOME"] = "/usr/local/cuda-13" },
            "/opt/ep/include/nccl_ep", "/opt/ep/include/nccl.h", "/usr/local/cuda-13/bin/nvcc");

        Assert.Null(env.Problem);
        Assert.Equal(new Dictionary<string, string> { ["NCCL_EP_HOME"] = "/opt/ep", ["NCCL_HOME"] = "/opt/ep" }, env.VariablesToSet);
    }

    [Fact]
    public void Nccl_home_falls_back_to_the_nccl_library_prefix_and_nvcc_to_usr_local_cuda()
    {
        NcclEpJitEnvironment env = Resolve(new() { ["EP_NCCL_EP_LIBRARY"] = "/opt/ep/lib/libnccl_ep.so", ["EP_NCCL_LIBRARY"] = "/opt/nccl/lib/libnccl.so.2" },
            "/opt/ep/include/nccl_ep", "/opt/nccl/include/nccl.h", "/usr/local/cuda/bin/nvcc");

        Assert.Null(env.Problem);
        Assert.Equal("/opt/nccl", env.VariablesToSet["NCCL_HOME"]);
        Assert.Equal("/usr/local/cuda", env.VariablesToSet["CUDA_HOME"]);
    }

    [Fact]
    public void Variables_already_set_are_left_alone()
    {
        NcclEpJitEnvironment env = Resolve(new() { ["NCCL_EP_HOME"] = "/a", ["NCCL_HOME"] = "/b", ["NCCL_EP_JIT_NVCC"] = "nvcc" }, "/a/include/nccl_ep");

        Assert.Null(env.Problem);
        Assert.Empty(env.VariablesToSet);
    }

    [Fact]
    public void Missing_headers_are_reported()
    {
        NcclEpJitEnvironment env = Resolve(new() { ["EP_NCCL_EP_LIBRARY"] = "/opt/ep/lib/libnccl_ep.so", ["NCCL_HOME"] = "/n", ["CUDA_HOME"] = "/c" }, "/c/bin/nvcc");

        Assert.Equal("NCCL EP's headers are missing: /opt/ep/include/nccl_ep does not exist (NCCL_EP_HOME derived from EP_NCCL_EP_LIBRARY); install NCCL EP with its headers or set NCCL_EP_HOME.", env.Problem);
    }

    [Fact]
    public void Missing_nvcc_is_reported()
    {
        NcclEpJitEnvironment env = Resolve(new() { ["NCCL_EP_HOME"] = "/a", ["NCCL_HOME"] = "/b", ["CUDA_HOME"] = "/c" }, "/a/include/nccl_ep");
        Assert.Equal("nvcc is missing: /c/bin/nvcc does not exist; NCCL EP HT compiles its kernels with nvcc at run time, so point CUDA_HOME at a CUDA toolkit or set NCCL_EP_JIT_NVCC.", env.Problem);

        env = Resolve(new() { ["NCCL_EP_HOME"] = "/a", ["NCCL_HOME"] = "/b", ["PATH"] = "/usr/bin:/bin" }, "/a/include/nccl_ep");
        Assert.Equal("nvcc not found (CUDA_HOME unset, no /usr/local/cuda/bin/nvcc, none on PATH); NCCL EP HT compiles its kernels with nvcc at run time: set CUDA_HOME or NCCL_EP_JIT_NVCC.", env.Problem);

        Assert.Null(Resolve(new() { ["NCCL_EP_HOME"] = "/a", ["NCCL_HOME"] = "/b", ["PATH"] = "/usr/bin:/opt/cuda/bin" }, "/a/include/nccl_ep", "/opt/cuda/bin/nvcc").Problem);
    }

    [Fact]
    public void Nothing_to_derive_from_is_reported()
    {
        NcclEpJitEnvironment env = Resolve(new() { ["CUDA_HOME"] = "/c" }, "/c/bin/nvcc");
        Assert.StartsWith("NCCL EP HT compiles its kernels with nvcc at run time and needs its headers: set NCCL_EP_HOME", env.Problem);
        Assert.Contains("NCCL EP HT's run-time compile needs NCCL's headers (nccl.h, nccl_device/): set NCCL_HOME", env.Problem);
    }
}
