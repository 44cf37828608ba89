using System;
using System.IO;
using Xunit;

namespace Ep.Generators.Tests.Support;

/// <summary>
/// Approved-output checks against <c>tests/snapshots/&lt;name&gt;.verified.&lt;ext&gt;</c>. A mismatch (or a missing
/// file) writes <c>&lt;name&gt;.received.&lt;ext&gt;</c> beside it and fails with the first differing line. To accept
/// new output, run the tests with <c>EP_ACCEPT_SNAPSHOTS=1</c>, or rename the received file to verified.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "EP_ACCEPT_SNAPSHOTS";

    public static string Directory { get; } = TestCompilation.InRepository("tests", "snapshots");

    /// <summary>Compares <paramref name="actual"/> with the verified snapshot <paramref name="name"/>.<paramref name="extension"/>.</summary>
    public static void Match(string actual, string name, string extension)
    {
        string verifiedPath = Path.Combine(Directory, name + ".verified." + extension);
        string receivedPath = Path.Combine(Directory, name + ".received." + extension);
        string received = Normalize(actual);

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(verifiedPath, received);
            File.Delete(receivedPath);
            return;
        }

        string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }

        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(receivedPath, received);
        string why = verified is null
            ? "no verified snapshot exists yet"
            : FirstDifference(verified, received);
        Assert.Fail($"Snapshot {name}.{extension} does not match: {why}.{Environment.NewLine}"
            + $"Wrote {receivedPath}. If the new output is right, rename it to {Path.GetFileName(verifiedPath)} "
            + $"or run the tests with {AcceptVariable}=1 (see tests/snapshots/README.md).");
    }

    /// <summary>Line endings become <c>\n</c>, so a checkout with CRLF compares equal.</summary>
    public static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>Describes the first line where <paramref name="verified"/> and <paramref name="received"/> differ.</summary>
    public static string FirstDifference(string verified, string received)
    {
        string[] expected = verified.Split('\n');
        string[] actual = received.Split('\n');
        int common = Math.Min(expected.Length, actual.Length);
        for (int i = 0; i < common; i++)
        {
            if (expected[i] != actual[i])
            {
                return $"line {i + 1} differs{Environment.NewLine}  verified: {expected[i]}{Environment.NewLine}  received: {actual[i]}";
            }
        }

        return expected.Length > actual.Length
            ? $"received ends at line {actual.Length}; verified continues with: {expected[common]}"
            : $"verified ends at line {expected.Length}; received continues with: {actual[common]}";
    }
}
