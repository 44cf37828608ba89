namespace Ep.Engines.NcclEp;

/// <summary>
/// Host wall time of the parts of one NcclEp Dispatch, in <see cref="System.Diagnostics.Stopwatch"/> ticks: Ep's routing
/// agreement (validation and counting kernels, the routing gather and its one wait), <c>ncclEpUpdateHandle</c>,
/// <c>ncclEpDispatch</c>, and Ep's layout of the received rows; <c>RoutingReadBack</c> is the part of the agreement
/// spent issuing the record's read-back and waiting for it (and so for the kernels before it). NCCL EP HT blocks the host inside both native calls, so
/// these track the device closely. The benchmark reads them to set the native call alone beside ep_bench, which times
/// <c>ncclEpDispatch</c> alone (its handle is updated outside the timed loop). Zero where a part did not run (idle steps).
/// </summary>
internal readonly record struct NcclEpDispatchPhases(long Routing, long UpdateHandle, long NativeDispatch, long Layout, long RoutingReadBack);
