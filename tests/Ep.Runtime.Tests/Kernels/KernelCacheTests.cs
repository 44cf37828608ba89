using System;
using System.IO;
using Ep.Kernels;
using Xunit;

namespace Ep.Runtime.Tests.Kernels;

/// <summary>The cubin cache's key and location (DESIGN.md section 5): one compile per source, arch and NVRTC version.</summary>
public sealed class KernelCacheTests
{
    private static readonly KernelCacheKey Key = new("#define EP_HIDDEN 7168\n__global__ void k() {}", "sm_90", 13, 0, "--fmad=false");

    [Fact]
    public void Key_is_stable_and_hex() => Assert.Matches("^[0-9a-f]{64}$", Key.Hash);

    [Fact]
    public void Key_changes_with_every_part()
    {
        Assert.NotEqual(Key.Hash, (Key with { Source = Key.Source + " " }).Hash);
        Assert.NotEqual(Key.Hash, (Key with { Architecture = "sm_80" }).Hash);
        Assert.NotEqual(Key.Hash, (Key with { NvrtcMajor = 12 }).Hash);
        Assert.NotEqual(Key.Hash, (Key with { NvrtcMinor = 1 }).Hash);
        Assert.NotEqual(Key.Hash, (Key with { Options = "" }).Hash);
        Assert.Equal(Key.Hash, new KernelCacheKey(Key.Source, "sm_90", 13, 0, "--fmad=false").Hash);
    }

    [Fact]
    public void Directory_comes_from_the_override_then_xdg_then_home()
    {
        Assert.Equal("/scratch/k", KernelCache.DefaultDirectory(n => n == "EP_KERNEL_CACHE_DIR" ? "/scratch/k" : "/x"));
        Assert.Equal(Path.Combine("/xdg", "ep", "kernels"), KernelCache.DefaultDirectory(n => n == "XDG_CACHE_HOME" ? "/xdg" : null));
        Assert.EndsWith(Path.Combine(".cache", "ep", "kernels"), KernelCache.DefaultDirectory(_ => null), StringComparison.Ordinal);
    }

    [Fact]
    public void Written_entry_reads_back_and_a_miss_is_null()
    {
        string directory = Path.Combine(Path.GetTempPath(), "ep-cache-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = new KernelCache(directory);
            Assert.Null(cache.TryRead(Key));

            cache.Write(Key, [1, 2, 3, 4]);

            Assert.Equal([1, 2, 3, 4], cache.TryRead(Key));
            Assert.Equal([Path.GetFileName(cache.PathOf(Key))], Array.ConvertAll(Directory.GetFiles(directory), Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
