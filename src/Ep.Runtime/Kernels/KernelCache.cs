using System;
using System.IO;

namespace Ep.Kernels;

/// <summary>
/// Compiled cubins on disk, one file per <see cref="KernelCacheKey"/>. The folder is <c>EP_KERNEL_CACHE_DIR</c> when set,
/// else <c>$XDG_CACHE_HOME/ep/kernels</c>, else <c>~/.cache/ep/kernels</c>. Writes go to a temporary file first and are
/// renamed into place, so concurrent processes never read half a cubin.
/// </summary>
internal sealed class KernelCache
{
    public KernelCache(string directory) => Directory = directory;

    public string Directory { get; }

    public static string DefaultDirectory(Func<string, string?> environment)
    {
        string? explicitDirectory = environment("EP_KERNEL_CACHE_DIR");
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return explicitDirectory;
        }

        string? xdg = environment("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "ep", "kernels");
    }

    public static KernelCache FromEnvironment() => new(DefaultDirectory(Environment.GetEnvironmentVariable));

    public string PathOf(KernelCacheKey key) => Path.Combine(Directory, key.Hash + ".cubin");

    public byte[]? TryRead(KernelCacheKey key)
    {
        string path = PathOf(key);
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            // An unreadable entry is a cache miss: the kernel is compiled again and the entry rewritten.
            return null;
        }
    }

    public void Write(KernelCacheKey key, ReadOnlySpan<byte> cubin)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = PathOf(key);
        string temporary = path + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temporary, cubin.ToArray());
        File.Move(temporary, path, overwrite: true);
    }
}
