using System;
using System.Linq;
using System.Text.RegularExpressions;
using Ep.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>Every rule is a diagnostic, tracked in AnalyzerReleases, documented in docs/diagnostics.md and listed in the README.</summary>
public sealed class DiagnosticCatalogTests
{
    public static TheoryData<string> RuleIds => new(EpRules.All.Select(r => r.Id));

    [Fact]
    public void Rule_ids_are_unique_and_consecutive()
    {
        string[] ids = EpRules.All.Select(r => r.Id).ToArray();
        Assert.Equal(Enumerable.Range(1, ids.Length).Select(i => $"EP{i:D4}"), ids);
    }

    [Fact]
    public void The_analyzer_supports_exactly_one_descriptor_per_rule()
    {
        Assert.Equal(
            EpRules.All.Select(r => r.Id),
            new ExpertParallelLayerAnalyzer().SupportedDiagnostics.Select(d => d.Id));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_descriptor_agrees_with_its_rule(string id)
    {
        EpRule rule = EpRules.All.Single(r => r.Id == id);
        DiagnosticDescriptor descriptor = EpDiagnostics.For(rule);

        Assert.Equal(rule.Id, descriptor.Id);
        Assert.Equal(rule.Title, descriptor.Title.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(rule.Severity == EpRuleSeverity.Error ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, descriptor.DefaultSeverity);
        Assert.Equal("https://github.com/ep-dotnet/ep/blob/main/docs/diagnostics.md#" + id.ToLowerInvariant(), descriptor.HelpLinkUri);
        Assert.StartsWith("Ep.", descriptor.Category, StringComparison.Ordinal);
        Assert.True(descriptor.IsEnabledByDefault);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_rule_has_an_AnalyzerReleases_line_with_its_category_and_severity(string id)
    {
        DiagnosticDescriptor descriptor = EpDiagnostics.For(EpRules.All.Single(r => r.Id == id));
        string unshipped = RepositoryFiles.Read("src", "Ep.Generators", "AnalyzerReleases.Unshipped.md");
        string shipped = RepositoryFiles.Read("src", "Ep.Generators", "AnalyzerReleases.Shipped.md");

        string expected = $"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} |";
        Assert.Contains(expected, shipped + unshipped, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_rule_has_a_docs_anchor_with_a_wrong_and_a_right_example(string id)
    {
        string docs = RepositoryFiles.Read("docs", "diagnostics.md");
        string anchor = $"<a id=\"{id.ToLowerInvariant()}\"></a>";
        int start = docs.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/diagnostics.md has no anchor {anchor}");

        int next = docs.IndexOf("<a id=\"ep", start + anchor.Length, StringComparison.Ordinal);
        string section = next < 0 ? docs[start..] : docs[start..next];
        Assert.Contains(id, section, StringComparison.Ordinal);
        Assert.Contains("Wrong", section, StringComparison.Ordinal);
        Assert.Contains("Right", section, StringComparison.Ordinal);
    }

    [Fact]
    public void The_README_diagnostics_table_lists_every_rule_with_its_severity_and_title()
    {
        string readme = RepositoryFiles.Read("README.md");
        Match section = Regex.Match(readme, @"^## Diagnostics\s*$(?<body>.*?)(?=^## )", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(section.Success, "README.md has no \"## Diagnostics\" section");

        foreach (EpRule rule in EpRules.All)
        {
            string row = $"| [{rule.Id}](docs/diagnostics.md#{rule.Id.ToLowerInvariant()}) | {rule.Severity} | {rule.Title} |";
            Assert.Contains(row, section.Groups["body"].Value, StringComparison.Ordinal);
        }
    }
}
