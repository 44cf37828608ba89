using System;

namespace Ep.Gpu.Tests.Ranks;

/// <summary>
/// One collective check that every rank of a group runs in the same order: it computes the Reference engine's answer
/// for every rank in-process, runs its own rank on the group's engine, compares, and returns a short detail (the
/// engine the layer ran on). A mismatch throws; comparisons are local, so a failure on one rank does not stall others.
/// </summary>
internal sealed record RankCase(string Name, Func<EpGroup, string> Run, int MinimumRanks = 1);
