using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ep.Generators.Tests.Support;

/// <summary>Runs <see cref="ExpertParallelLayerGenerator"/> over user sources the way the compiler does.</summary>
internal static class GeneratorHarness
{
    /// <summary>Parse options that also report doc-comment problems (CS1591 etc.), as a project with docs on does.</summary>
    public static readonly CSharpParseOptions DocumentedParseOptions =
        TestCompilation.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>A driver that records every pipeline step, for caching tests.</summary>
    public static GeneratorDriver CreateDriver(CSharpParseOptions? parseOptions = null) => CSharpGeneratorDriver.Create(
        new[] { new ExpertParallelLayerGenerator().AsSourceGenerator() },
        parseOptions: parseOptions ?? TestCompilation.ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>A compilation of <paramref name="sources"/> with nullable on and every warning wave enabled.</summary>
    public static CSharpCompilation Compile(CSharpParseOptions parseOptions, params string[] sources) => CSharpCompilation.Create(
        "UserAssembly",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, parseOptions, path: $"Source{i}.cs")),
        TestCompilation.References,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999));

    /// <summary>Generates for <paramref name="sources"/> (default parse options).</summary>
    public static GeneratorRun Run(params string[] sources) => Run(TestCompilation.ParseOptions, sources);

    /// <summary>Generates for <paramref name="sources"/> parsed with <paramref name="parseOptions"/>.</summary>
    public static GeneratorRun Run(CSharpParseOptions parseOptions, params string[] sources)
    {
        CSharpCompilation input = Compile(parseOptions, sources);
        GeneratorDriver driver = CreateDriver(parseOptions).RunGeneratorsAndUpdateCompilation(
            input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new GeneratorRun(input, output, driver.GetRunResult().Results.Single(), diagnostics);
    }
}

/// <summary>One generator run: its input and output compilations and what it produced.</summary>
internal sealed record GeneratorRun(
    Compilation Input,
    Compilation Output,
    GeneratorRunResult Result,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>The generated file with hint name <paramref name="hintName"/>.</summary>
    public GeneratedSourceResult Source(string hintName) => Result.GeneratedSources.Single(s => s.HintName == hintName);

    /// <summary>
    /// The value of the CUDA source constant in the generated file <paramref name="kernelsHintName"/>, as the C#
    /// compiler reads it: this is exactly the text NVRTC gets.
    /// </summary>
    public string KernelConstant(string kernelsHintName)
    {
        SyntaxTree tree = Source(kernelsHintName).SyntaxTree;
        SyntaxTree outputTree = Output.SyntaxTrees.Single(t => t.FilePath == tree.FilePath);
        SemanticModel model = Output.GetSemanticModel(outputTree);
        var declarator = outputTree.GetRoot().DescendantNodes()
            .OfType<Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax>()
            .Single(v => v.Identifier.ValueText == "Source");
        var field = (IFieldSymbol)model.GetDeclaredSymbol(declarator)!;
        return (string)field.ConstantValue!;
    }
}
