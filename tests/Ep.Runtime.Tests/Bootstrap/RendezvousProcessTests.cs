using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>The rendezvous between real processes: four copies of Ep.Bootstrap.Peer started with ep-run's variables.</summary>
public sealed class RendezvousProcessTests
{
    private sealed record RankRun(int ExitCode, string Output, string Errors);

    private static string PeerAssembly => Path.Combine(AppContext.BaseDirectory, "Ep.Bootstrap.Peer.dll");

    // The test host may be an apphost; the helper runs on the same dotnet that built it.
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
        ? host
        : "dotnet";

    private static async Task<RankRun> RunRank(int rank, int worldSize, int port, string idHex, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(PeerAssembly);
        start.ArgumentList.Add(idHex);
        start.Environment["EP_RANK"] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["EP_WORLD_SIZE"] = worldSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["EP_MASTER_ADDR"] = "127.0.0.1";
        start.Environment["EP_MASTER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["EP_BOOTSTRAP_TIMEOUT_S"] = "20";

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancel);
        Task<string> errors = process.StandardError.ReadToEndAsync(cancel);
        try
        {
            await process.WaitForExitAsync(cancel);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new RankRun(process.ExitCode, await output, await errors);
    }

    [Fact]
    public async Task Four_processes_all_receive_rank_zeros_exact_bytes()
    {
        int port = FreePort.Next();
        byte[] id = new byte[128];
        Random.Shared.NextBytes(id);
        string idHex = Convert.ToHexString(id);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));

        // Peers first, rank 0 last: they must retry until it listens.
        RankRun[] runs = await Task.WhenAll(new[] { 3, 2, 1, 0 }.Select(rank => RunRank(rank, 4, port, rank == 0 ? idHex : "00", deadline.Token)));

        foreach (RankRun run in runs)
        {
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Errors}");
            Assert.Equal("id " + idHex, run.Output.Trim());
        }
    }
}
