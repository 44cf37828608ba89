using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ep.Generators.Tests;

/// <summary>Builds compilations of user code the way a package user's project would see Ep: net10.0 plus Ep's assemblies.</summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static IReadOnlyList<MetadataReference> References { get; } = Net100.References.All
        .Concat(new[]
        {
            MetadataReference.CreateFromFile(typeof(ExpertParallelLayerAttribute).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(EpGroup).Assembly.Location),
        })
        .ToArray();

    public static CSharpCompilation Create(params string[] sources) => CSharpCompilation.Create(
        "UserAssembly",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The repository root, recorded at build time.</summary>
    public static string RepositoryRoot { get; } = typeof(TestCompilation).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string InRepository(params string[] parts) => Path.Combine(new[] { RepositoryRoot }.Concat(parts).ToArray());
}
