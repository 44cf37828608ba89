using System.IO;
using System.Linq;
using Ep.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Ep.Generators.Tests.Compile;

/// <summary>Generated code compiles, without a single warning, in the projects users write.</summary>
public sealed class GeneratedCodeCompilesTests
{
    [Fact]
    public void A_program_using_every_generated_member_compiles_without_warnings()
    {
        // Documentation mode Diagnose reports missing or broken XML docs (CS1591, CS1573, CS1574), as a user's
        // project with GenerateDocumentationFile does; warning level 9999 enables every warning wave.
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.DocumentedParseOptions, UsageSources.EveryMember);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(6, run.Result.GeneratedSources.Length);
        AssertNoWarningsOrErrors(run.Output);
        EmitResult emitted = run.Output.Emit(Stream.Null, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp9)]
    [InlineData(LanguageVersion.CSharp10)]
    [InlineData(LanguageVersion.Latest)]
    public void Generated_code_compiles_under_older_language_versions(LanguageVersion version)
    {
        // C# 9 is the floor: the generated Spec sets init-only properties.
        const string source = """
            namespace App
            {
                [Ep.ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, ZeroCopy = true)]
                public partial class SmallMoe
                {
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(new CSharpParseOptions(version), source);

        Assert.Equal(2, run.Result.GeneratedSources.Length);
        AssertNoWarningsOrErrors(run.Output);
    }

    [Theory]
    [InlineData("public partial struct Outer { LAYER }")]
    [InlineData("public partial record struct Outer { LAYER }")]
    [InlineData("public partial record Outer(int X) { LAYER }")]
    [InlineData("public partial interface IOuter { LAYER }")]
    [InlineData("public static partial class Outer { public partial class Middle { LAYER } }")]
    [InlineData("namespace @event.@class { LAYER }")]
    public void Layers_in_every_kind_of_containing_type_compile(string container)
    {
        string source = "using Ep;\n" + container.Replace("LAYER",
            "[ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)] public partial class @operator { }",
            System.StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Null(run.Result.Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        AssertNoWarningsOrErrors(run.Input);
        Assert.Equal(2, run.Result.GeneratedSources.Length);
        AssertNoWarningsOrErrors(run.Output);
    }

    [Fact]
    public void A_plain_buffer_does_not_compile_where_a_zero_copy_layer_needs_symmetric_memory()
    {
        GeneratorRun run = GeneratorHarness.Run(UsageSources.PlainBufferIntoZeroCopyCombine);

        Diagnostic error = Assert.Single(run.Output.GetDiagnostics(TestContext.Current.CancellationToken), d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS1503", error.Id); // cannot convert DeviceTensor<BFloat16> to SymmetricTensor<BFloat16>
        Assert.Contains("SymmetricTensor", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
    }

    private static void AssertNoWarningsOrErrors(Compilation compilation)
    {
        Diagnostic[] problems = compilation.GetDiagnostics(TestContext.Current.CancellationToken)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .ToArray();
        Assert.True(problems.Length == 0, string.Join("\n", problems.Select(d => d.ToString())));
    }
}
