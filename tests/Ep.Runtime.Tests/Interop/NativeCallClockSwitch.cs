using System;
using Ep.Interop;

namespace Ep.Runtime.Tests.Interop;

/// <summary>
/// Sets <see cref="NativeCallClock.Enabled"/> for a test and puts the previous value back when disposed: the clock is one
/// switch for the process, so every test that turns it runs in <see cref="NativeCallClockTests.Collection"/>.
/// </summary>
internal sealed class NativeCallClockSwitch : IDisposable
{
    private readonly bool _previous;

    private NativeCallClockSwitch(bool enabled)
    {
        _previous = NativeCallClock.Enabled;
        NativeCallClock.Enabled = enabled;
    }

    public static NativeCallClockSwitch Set(bool enabled) => new(enabled);

    public void Dispose() => NativeCallClock.Enabled = _previous;
}
