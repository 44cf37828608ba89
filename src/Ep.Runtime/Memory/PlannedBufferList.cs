using System;
using System.Collections.Generic;

namespace Ep;

/// <summary>Collects <see cref="PlannedBuffer"/>s as rows × columns × element size, skipping empty ones.</summary>
internal sealed class PlannedBufferList
{
    private readonly List<PlannedBuffer> _buffers = new();

    public PlannedBufferList Add<T>(string name, long rows, long columns = 1)
        where T : unmanaged => AddBytes(name, checked(rows * columns * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));

    public PlannedBufferList AddBytes(string name, long bytes, bool native = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > 0)
        {
            _buffers.Add(new PlannedBuffer(name, bytes, native));
        }

        return this;
    }

    public EngineMemoryPlan Build(string engine) => new(engine, _buffers.ToArray());
}
