using Ep.Generators.Emit;
using Ep.Generators.Model;
using Ep.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Ep.Generators;

/// <summary>
/// Writes the members of every valid <c>[ExpertParallelLayer]</c> class: constants, <c>Spec</c>, <c>PlanMemory</c>,
/// the constructor and the eight operations (<c>{Namespace}.{Type}.Ep.g.cs</c>), and the NVRTC source
/// (<c>{Namespace}.{Type}.Kernels.g.cs</c>). Invalid layers get no output; the analyzer reports why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ExpertParallelLayerGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the model step, for caching tests.</summary>
    public const string ModelStep = "EpLayerModel";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<LayerModel> layers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                LayerAttributeReader.AttributeMetadataName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                transform: static (context, cancellationToken) => LayerModelBuilder.Build(context, cancellationToken))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(ModelStep);

        context.RegisterSourceOutput(layers, static (output, layer) =>
        {
            output.AddSource(HintNames.Layer(layer), LayerSourceWriter.Write(layer));
            output.AddSource(HintNames.Kernels(layer), KernelSourceWriter.Write(layer));
        });
    }
}
