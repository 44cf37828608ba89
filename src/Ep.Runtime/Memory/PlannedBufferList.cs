using System;
using System.Collections.Generic;

namespace Ep;

/// <summary>Collects <see cref="PlannedBuffer"/>s as rows × columns × element size, skipping empty ones.</summary>
internal sealed class PlannedBufferList
{
    private readonly List<PlannedBuffer> _buffers = new();

    public PlannedBufferList Add<T>(string name, long rows, long columns = 1)
        where T : unmanaged => AddBytes(name, Bytes<T>(rows, columns));

    /// <summary>A buffer Dispatch writes its result into (counted by <see cref="EngineMemoryPlan.ReceiveBytes"/>).</summary>
    public PlannedBufferList Receive<T>(string name, long rows, long columns = 1)
        where T : unmanaged => AddBytes(name, Bytes<T>(rows, columns), receive: true);

    public PlannedBufferList AddBytes(string name, long bytes, bool native = false, bool receive = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > 0)
        {
            _buffers.Add(new PlannedBuffer(name, bytes, native, receive));
        }

        return this;
    }

    private static long Bytes<T>(long rows, long columns)
        where T : unmanaged => checked(rows * columns * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

    public EngineMemoryPlan Build(string engine) => new(engine, _buffers.ToArray());
}
