namespace Ep.Bench.Graphs;

/// <summary>In how many replays of a captured HighThroughput step NCCL EP's handle was rebuilt (its routing changed), of how many.</summary>
internal sealed record HandleRebuilds(long Rebuilt, int Replays);
