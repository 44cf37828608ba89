using System;
using System.Threading;

namespace Ep;

/// <summary>
/// Turns zero-copy off for a stretch of code: inside <see cref="Suspend"/>'s scope, layers declared
/// <c>ZeroCopy = true</c> hand NCCL EP their buffers by pointer (the staged copy) instead of by window.
/// </summary>
/// <remarks>
/// "Suspend" rather than "Disable": the layer's declaration is unchanged and the previous state comes back when the
/// scope is disposed. The state is per async flow (<see cref="AsyncLocal{T}"/>): it follows awaits, and a scope opened
/// on one thread or task is invisible to the others. Scopes nest and must be disposed in reverse order of creation;
/// this is what TransformerEngine's removed <c>_zero_copy_scope</c> got wrong (it reset instead of restoring).
/// </remarks>
public static class EpZeroCopy
{
    private static readonly AsyncLocal<Scope?> Innermost = new();

    /// <summary>True inside at least one <see cref="Suspend"/> scope of this async flow.</summary>
    public static bool IsSuspended => Innermost.Value is not null;

    /// <summary>Whether a layer with <paramref name="spec"/> passes its symmetric buffers by window right now.</summary>
    public static bool UsesWindows(EpLayerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.ZeroCopy && !IsSuspended;
    }

    /// <summary>Opens a scope in which zero-copy is off; dispose it (<c>using</c>) to restore the previous state.</summary>
    public static IDisposable Suspend()
    {
        var scope = new Scope(Innermost.Value);
        Innermost.Value = scope;
        return scope;
    }

    private sealed class Scope : IDisposable
    {
        private readonly Scope? _outer;
        private bool _disposed;

        public Scope(Scope? outer)
        {
            _outer = outer;
            Depth = outer is null ? 1 : outer.Depth + 1;
        }

        private int Depth { get; }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            Scope? current = Innermost.Value;
            if (!ReferenceEquals(current, this))
            {
                // Refuse rather than guess: restoring here would either drop an inner scope that is still open or
                // resurrect state from another flow.
                throw new InvalidOperationException(Contains(current, this)
                    ? $"EpZeroCopy.Suspend scopes were disposed out of order: this scope (depth {Depth}) still has an inner scope open (depth {current!.Depth}); dispose the inner scope first."
                    : $"This EpZeroCopy.Suspend scope (depth {Depth}) is not open on the current thread or async flow; dispose it where it was opened (its state does not flow back out of a task or across threads).");
            }

            _disposed = true;
            Innermost.Value = _outer;
        }

        private static bool Contains(Scope? chain, Scope target)
        {
            for (Scope? s = chain; s is not null; s = s._outer)
            {
                if (ReferenceEquals(s, target))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
