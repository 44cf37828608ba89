using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ep.Kernels;

/// <summary>
/// Identifies one compiled cubin: the exact generated source, the GPU architecture, the NVRTC version and the
/// compile options. Run-time sizes are kernel arguments and never part of the key, so a layer compiles once per
/// machine no matter how many tokens a step carries (the recompile storms DeepEP users hit come from keys that do).
/// </summary>
internal readonly record struct KernelCacheKey(string Source, string Architecture, int NvrtcMajor, int NvrtcMinor, string Options)
{
    /// <summary>Hex SHA-256 of all parts, used as the cache file name.</summary>
    public string Hash
    {
        get
        {
            string material = string.Create(CultureInfo.InvariantCulture,
                $"ep-kernel-v1\n{Architecture}\nnvrtc {NvrtcMajor}.{NvrtcMinor}\n{Options}\n{Source}");
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)));
        }
    }
}
