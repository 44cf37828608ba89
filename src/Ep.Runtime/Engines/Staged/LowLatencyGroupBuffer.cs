namespace Ep.Engines.Staged;

/// <summary>
/// The buffers laid out in LowLatency's fixed expert groups whose padding <see cref="LowLatencyGroupPadding"/> keeps
/// zero: one row of the layer's rows-filled table each.
/// </summary>
internal enum LowLatencyGroupBuffer
{
    /// <summary>Dispatch's result (the received rows in their groups).</summary>
    Received,

    /// <summary>Unpermute's result. (LowLatency layers have no backward passes, so no gradient is laid out this way.)</summary>
    Unpermuted,
}
