using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Ep.Generators.Tests.Support;

/// <summary>
/// Emits a compilation that includes generated code and loads it, so tests can run the generated members. Ep's own
/// assemblies resolve to the ones this test process already loaded, so <c>EpLayerSpec</c> etc. are the same types.
/// </summary>
internal static class EmittedAssembly
{
    public static Assembly Load(Compilation compilation)
    {
        using var image = new MemoryStream();
        EmitResult result = compilation.Emit(image, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        image.Position = 0;
        return new AssemblyLoadContext(compilation.AssemblyName, isCollectible: true).LoadFromStream(image);
    }
}
