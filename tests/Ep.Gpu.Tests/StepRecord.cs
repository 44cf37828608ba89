using System;
using System.Collections.Generic;
using System.Linq;

namespace Ep.Gpu.Tests;

/// <summary>Every output of one step on one rank, copied to the host, by name; compared across engines.</summary>
internal sealed class StepRecord
{
    public Dictionary<string, ushort[]> Rows { get; } = new();

    public Dictionary<string, float[]> Floats { get; } = new();

    public Dictionary<string, long[]> Integers { get; } = new();

    public void Add(string name, DeviceTensor<BFloat16> tensor) => Rows[name] = tensor.ToArray().Select(v => v.RawBits).ToArray();

    public void Add(string name, DeviceTensor<float>? tensor) => Floats[name] = tensor?.ToArray() ?? [];

    public void Add(string name, DeviceTensor<long>? tensor) => Integers[name] = tensor?.ToArray() ?? [];

    public void Add(string name, IEnumerable<int> values) => Integers[name] = values.Select(v => (long)v).ToArray();

    /// <summary>bf16 distance in units in the last place (sign-magnitude bits mapped to a line).</summary>
    public static int UlpDistance(ushort a, ushort b)
    {
        static int Ordered(ushort bits) => (bits & 0x8000) != 0 ? -(bits & 0x7FFF) : bits;
        return Math.Abs(Ordered(a) - Ordered(b));
    }
}
