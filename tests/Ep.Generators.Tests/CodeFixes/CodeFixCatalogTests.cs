using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Ep.CodeFixes;
using Ep.Generators.Tests.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>
/// Every code fix provider is exported to the IDE, supports fix-all through the batch fixer, and is documented: the
/// docs/diagnostics.md section of each ID it fixes has a "Fix:" line, and no other section claims one.
/// </summary>
public sealed class CodeFixCatalogTests
{
    private static readonly CodeFixProvider[] Providers = typeof(MakePartialCodeFixProvider).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToArray();

    private static readonly HashSet<string> FixedIds = Providers.SelectMany(p => p.FixableDiagnosticIds).ToHashSet();

    [Fact]
    public void The_fixed_IDs_are_the_ones_with_one_right_edit() =>
        Assert.Equal(new[] { "EP0001", "EP0002", "EP0007", "EP0008", "EP0009", "EP0013" }, FixedIds.Order(StringComparer.Ordinal));

    [Fact]
    public void Each_provider_is_exported_for_CSharp_and_uses_the_batch_fixer()
    {
        foreach (CodeFixProvider provider in Providers)
        {
            ExportCodeFixProviderAttribute? export = provider.GetType().GetCustomAttribute<ExportCodeFixProviderAttribute>();
            Assert.NotNull(export);
            Assert.Equal(new[] { LanguageNames.CSharp }, export.Languages);
            Assert.Same(WellKnownFixAllProviders.BatchFixer, provider.GetFixAllProvider());
            Assert.False(string.IsNullOrEmpty((string?)provider.GetType().GetField("EquivalenceKey")?.GetRawConstantValue()));
        }
    }

    public static TheoryData<string> AllIds() => new(EpRules.All.Select(r => r.Id));

    [Theory]
    [MemberData(nameof(AllIds))]
    public void The_docs_name_a_fix_exactly_for_the_fixed_IDs(string id)
    {
        string docs = RepositoryFiles.Read("docs", "diagnostics.md");
        string anchor = $"<a id=\"{id.ToLowerInvariant()}\"></a>";
        int start = docs.IndexOf(anchor, StringComparison.Ordinal);
        int next = docs.IndexOf("<a id=\"ep", start + anchor.Length, StringComparison.Ordinal);
        string section = next < 0 ? docs[start..] : docs[start..next];

        Assert.Equal(FixedIds.Contains(id), section.Contains("\nFix: ", StringComparison.Ordinal));
    }
}
