using System.Globalization;

namespace Ep.Engines.NcclEp;

/// <summary>
/// How the ranks are spread over nodes, as NCCL EP sees it: the LSA team is the ranks of one node (NVLink), the rail
/// team one rank per node. With one process per GPU on one node the LSA size is the world size.
/// </summary>
/// <param name="WorldSize">nRanks of the communicator.</param>
/// <param name="LsaSize">Ranks per node (NCCL's LSA team size).</param>
internal sealed record NcclEpTopology(int WorldSize, int LsaSize)
{
    /// <summary>Every rank on one node.</summary>
    public static NcclEpTopology SingleNode(int worldSize) => new(worldSize, worldSize);

    /// <summary>Nodes (rail team size) when <see cref="LsaSize"/> divides <see cref="WorldSize"/>.</summary>
    public int Nodes => LsaSize > 0 ? WorldSize / LsaSize : 0;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{WorldSize} ranks, {LsaSize} per node");
}
