namespace Ep.Bench.Baselines;

/// <summary>One ep_bench figure: the mean time of an operation and the GB/s it reports for it.</summary>
/// <param name="Microseconds">ep_bench's average across iterations and ranks.</param>
/// <param name="GigabytesPerSecond">ep_bench's bandwidth (HT: receive-side total_bw; LL: throughput avg), null if it printed none.</param>
internal sealed record EpBenchFigure(double Microseconds, double? GigabytesPerSecond);

/// <summary>What ep_bench printed for one run.</summary>
/// <param name="Dispatch">Host-observed (LL) or total-time (HT) dispatch figure.</param>
/// <param name="Combine">Host-observed (LL) or total-time (HT) combine figure.</param>
/// <param name="KernelDispatch">CUPTI kernel-only dispatch figure, when ep_bench was built with CUPTI.</param>
/// <param name="KernelCombine">CUPTI kernel-only combine figure, when ep_bench was built with CUPTI.</param>
internal sealed record EpBenchFigures(EpBenchFigure Dispatch, EpBenchFigure Combine, EpBenchFigure? KernelDispatch, EpBenchFigure? KernelCombine);
