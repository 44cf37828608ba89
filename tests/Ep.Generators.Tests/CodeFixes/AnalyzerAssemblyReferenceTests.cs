using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Ep.CodeFixes;
using Ep.Generators.Diagnostics;
using Xunit;

namespace Ep.Generators.Tests.CodeFixes;

/// <summary>
/// The command-line compiler loads analyzers without Workspaces; an analyzer assembly that references it fails to load
/// there (RS1038). So the code fixes live in their own assembly, and this checks, from the assemblies' metadata, that
/// Workspaces did not leak into the generator.
/// </summary>
public sealed class AnalyzerAssemblyReferenceTests
{
    [Fact]
    public void The_generator_assembly_does_not_reference_Workspaces()
    {
        IReadOnlyList<string> references = ReferencedAssemblies(typeof(ExpertParallelLayerAnalyzer).Assembly.Location);

        Assert.Contains("Microsoft.CodeAnalysis", references);
        Assert.DoesNotContain(references, name => name.Contains("Workspaces", StringComparison.Ordinal));
    }

    [Fact]
    public void The_code_fix_assembly_is_the_one_that_references_Workspaces()
    {
        IReadOnlyList<string> references = ReferencedAssemblies(typeof(MakePartialCodeFixProvider).Assembly.Location);

        Assert.Contains("Microsoft.CodeAnalysis.Workspaces", references);
        Assert.Contains("Ep.Generators", references);
    }

    private static List<string> ReferencedAssemblies(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        MetadataReader metadata = reader.GetMetadataReader();
        return metadata.AssemblyReferences
            .Select(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name))
            .ToList();
    }
}
