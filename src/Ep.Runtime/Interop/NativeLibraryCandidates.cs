using System;
using System.Collections.Generic;
using System.IO;

namespace Ep.Interop;

/// <summary>
/// Where each native library is looked for, in order (DESIGN.md section 5): the environment override, then the
/// versioned sonames the loader finds on its own, then CUDA_HOME and the toolkit's usual folders.
/// Pure data, so the order can be tested on machines without any of the libraries.
/// </summary>
internal sealed record NativeLibraryCandidates(string LogicalName, string OverrideVariable, IReadOnlyList<string> Sonames, bool InToolkit)
{
    public static readonly NativeLibraryCandidates Cuda = new("cuda", "EP_CUDA_LIBRARY", new[] { "libcuda.so.1", "libcuda.so" }, InToolkit: false);
    public static readonly NativeLibraryCandidates Nvrtc = new("nvrtc", "EP_NVRTC_LIBRARY", new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so" }, InToolkit: true);
    public static readonly NativeLibraryCandidates Nccl = new("nccl", "EP_NCCL_LIBRARY", new[] { "libnccl.so.2", "libnccl.so" }, InToolkit: true);
    public static readonly NativeLibraryCandidates NcclEp = new("nccl_ep", "EP_NCCL_EP_LIBRARY", new[] { "libnccl_ep.so.0", "libnccl_ep.so" }, InToolkit: false);

    /// <summary>The toolkit folders searched after the loader's own search, most specific first.</summary>
    public static IReadOnlyList<string> ToolkitFolders(Func<string, string?> environment)
    {
        var folders = new List<string>();
        foreach (string variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            string? home = environment(variable);
            if (!string.IsNullOrWhiteSpace(home))
            {
                folders.Add(Path.Combine(home, "lib64"));
                folders.Add(Path.Combine(home, "lib"));
            }
        }

        folders.Add("/usr/local/cuda/lib64");
        folders.Add("/usr/lib/x86_64-linux-gnu");
        folders.Add("/usr/lib/aarch64-linux-gnu");
        return folders;
    }

    /// <summary>Every path or name to try, in order.</summary>
    public IReadOnlyList<string> SearchOrder(Func<string, string?> environment)
    {
        var order = new List<string>();
        string? overridePath = environment(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            // An explicit override is the only candidate: silently loading another copy would hide the mistake.
            order.Add(overridePath);
            return order;
        }

        order.AddRange(Sonames);
        if (InToolkit)
        {
            foreach (string folder in ToolkitFolders(environment))
            {
                foreach (string soname in Sonames)
                {
                    order.Add(Path.Combine(folder, soname));
                }
            }
        }

        return order;
    }
}
