using System;
using System.Collections.Generic;
using System.IO;
using Ep.Interop;
using Xunit;

namespace Ep.Runtime.Tests.Interop;

/// <summary>The resolver's search order (DESIGN.md section 5) and the text it fails with, on a machine with no GPU libraries.</summary>
public sealed class NativeLibrarySearchTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in variables)
        {
            map[name] = value;
        }

        return name => map.TryGetValue(name, out string? value) ? value : null;
    }

    [Fact]
    public void Override_is_the_only_candidate()
    {
        IReadOnlyList<string> order = NativeLibraryCandidates.Nccl.SearchOrder(
            Environment(("EP_NCCL_LIBRARY", "/opt/nccl/libnccl.so.2.30.3"), ("CUDA_HOME", "/opt/cuda")));

        Assert.Equal(["/opt/nccl/libnccl.so.2.30.3"], order);
    }

    [Fact]
    public void Toolkit_library_tries_sonames_then_cuda_home_then_usual_folders()
    {
        var order = new List<string>(NativeLibraryCandidates.Nvrtc.SearchOrder(Environment(("CUDA_HOME", "/opt/cuda"))));

        Assert.Equal("libnvrtc.so.13", order[0]);
        Assert.Equal("libnvrtc.so.12", order[1]);
        Assert.Equal("libnvrtc.so", order[2]);
        Assert.Equal(Path.Combine("/opt/cuda", "lib64", "libnvrtc.so.13"), order[3]);
        Assert.Equal(Path.Combine("/opt/cuda", "lib", "libnvrtc.so.13"), order[6]);
        Assert.Contains(Path.Combine("/usr/local/cuda/lib64", "libnvrtc.so.12"), order);
        Assert.True(order.IndexOf(Path.Combine("/opt/cuda", "lib64", "libnvrtc.so.13"))
            < order.IndexOf(Path.Combine("/usr/local/cuda/lib64", "libnvrtc.so.13")));
    }

    [Fact]
    public void Driver_library_is_found_by_soname_only()
    {
        // libcuda comes with the driver, never with the toolkit: a toolkit copy would be a stub that cannot run kernels.
        IReadOnlyList<string> order = NativeLibraryCandidates.Cuda.SearchOrder(Environment(("CUDA_HOME", "/opt/cuda")));

        Assert.Equal(["libcuda.so.1", "libcuda.so"], order);
    }

    [Fact]
    public void Nccl_ep_is_looked_for_under_its_own_names()
    {
        Assert.Equal("EP_NCCL_EP_LIBRARY", NativeLibraryCandidates.NcclEp.OverrideVariable);
        Assert.Equal(["libnccl_ep.so.0", "libnccl_ep.so"], NativeLibraryCandidates.NcclEp.SearchOrder(Environment()));
    }

    [Fact]
    public void Failure_lists_every_place_tried_in_order_and_names_the_variable()
    {
        var missing = new NativeLibraryCandidates("ep_missing", "EP_MISSING_LIBRARY", ["libep_missing.so.9", "libep_missing.so"], InToolkit: true);
        var environment = Environment(("CUDA_HOME", "/nonexistent/cuda"));

        var error = Assert.Throws<EpNativeLibraryException>(() => NativeLibraryLoader.LoadFirst(missing, environment));

        Assert.Contains("Could not load the ep_missing library", error.Message, StringComparison.Ordinal);
        string[] lines = error.Message.Split(System.Environment.NewLine);
        var listed = new List<string>();
        foreach (string line in lines)
        {
            if (line.StartsWith("  ", StringComparison.Ordinal))
            {
                listed.Add(line[2..]);
            }
        }

        Assert.Equal(missing.SearchOrder(environment), listed);
        Assert.Contains("Set EP_MISSING_LIBRARY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_with_an_override_says_only_that_path_was_tried()
    {
        var environment = Environment(("EP_NCCL_EP_LIBRARY", "/nonexistent/libnccl_ep.so"));

        var error = Assert.Throws<EpNativeLibraryException>(() => NativeLibraryLoader.LoadFirst(NativeLibraryCandidates.NcclEp, environment));

        Assert.Contains("  /nonexistent/libnccl_ep.so", error.Message, StringComparison.Ordinal);
        Assert.Contains("EP_NCCL_EP_LIBRARY is set, so only that path was tried", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("libnccl_ep.so.0", error.Message, StringComparison.Ordinal);
    }
}
