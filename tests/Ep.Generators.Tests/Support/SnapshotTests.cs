using Xunit;

namespace Ep.Generators.Tests.Support;

/// <summary>The snapshot helper's own comparison and messages.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void First_difference_names_the_line_and_both_texts()
    {
        string message = Snapshot.FirstDifference("a\nb\nc\n", "a\nB\nc\n");

        Assert.StartsWith("line 2 differs", message, System.StringComparison.Ordinal);
        Assert.Contains("verified: b", message, System.StringComparison.Ordinal);
        Assert.Contains("received: B", message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void First_difference_reports_a_shorter_or_longer_text()
    {
        Assert.Equal("received ends at line 2; verified continues with: c", Snapshot.FirstDifference("a\nb\nc", "a\nb"));
        Assert.Equal("verified ends at line 1; received continues with: b", Snapshot.FirstDifference("a", "a\nb"));
    }

    [Fact]
    public void Line_endings_are_normalized_before_comparing()
    {
        Assert.Equal("a\nb\nc", Snapshot.Normalize("a\r\nb\rc"));
    }
}
