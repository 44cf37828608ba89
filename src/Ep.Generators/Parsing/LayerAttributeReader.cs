using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.Generators.Parsing;

/// <summary>
/// Reads an <c>[ExpertParallelLayer]</c> application into an <see cref="EpLayerSpec"/>, and finds the syntax of
/// each named argument so that diagnostics can point at the argument that is wrong.
/// </summary>
internal static class LayerAttributeReader
{
    public const string AttributeMetadataName = "Ep.ExpertParallelLayerAttribute";

    /// <summary>
    /// The spec the attribute declares. Arguments that are missing or not constants keep the attribute's defaults.
    /// LowLatency without an explicit Layout resolves to ExpertMajor, the only layout LowLatency has.
    /// </summary>
    public static EpLayerSpec ReadSpec(AttributeData attribute)
    {
        var spec = new EpLayerSpec();
        bool layoutGiven = false;
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            object? value = argument.Value.Kind == TypedConstantKind.Error ? null : argument.Value.Value;
            if (value is null)
            {
                continue;
            }

            switch (argument.Key)
            {
                case nameof(EpLayerSpec.Experts): spec = spec with { Experts = (int)value }; break;
                case nameof(EpLayerSpec.TopK): spec = spec with { TopK = (int)value }; break;
                case nameof(EpLayerSpec.HiddenSize): spec = spec with { HiddenSize = (int)value }; break;
                case nameof(EpLayerSpec.MaxTokensPerRank): spec = spec with { MaxTokensPerRank = (int)value }; break;
                case nameof(EpLayerSpec.RecvCapacityPerRank): spec = spec with { RecvCapacityPerRank = (int)value }; break;
                case nameof(EpLayerSpec.ExpertAlignment): spec = spec with { ExpertAlignment = (int)value }; break;
                case nameof(EpLayerSpec.Ranks): spec = spec with { Ranks = (int)value }; break;
                case nameof(EpLayerSpec.ApplyWeightsInCombine): spec = spec with { ApplyWeightsInCombine = (bool)value }; break;
                case nameof(EpLayerSpec.ZeroCopy): spec = spec with { ZeroCopy = (bool)value }; break;
                case nameof(EpLayerSpec.MemoryBudgetGiB): spec = spec with { MemoryBudgetGiB = System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) }; break;
                case nameof(EpLayerSpec.Payload): spec = spec with { Payload = (EpPayload)(int)value }; break;
                case nameof(EpLayerSpec.Algorithm): spec = spec with { Algorithm = (EpAlgorithm)(int)value }; break;
                case nameof(EpLayerSpec.Layout):
                    spec = spec with { Layout = (EpLayout)(int)value };
                    layoutGiven = true;
                    break;
            }
        }

        if (!layoutGiven && spec.Algorithm == EpAlgorithm.LowLatency)
        {
            spec = spec with { Layout = EpLayout.ExpertMajor };
        }

        return spec;
    }

    /// <summary>The syntax of the named argument <paramref name="property"/>, or null when it is not written.</summary>
    public static AttributeArgumentSyntax? FindArgument(AttributeData attribute, string property, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax
            || syntax.ArgumentList is null)
        {
            return null;
        }

        foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == property)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>Where a diagnostic about <paramref name="property"/> belongs: the argument, or the attribute name when it is missing.</summary>
    public static Location LocationOf(AttributeData attribute, string property, CancellationToken cancellationToken)
    {
        AttributeArgumentSyntax? argument = FindArgument(attribute, property, cancellationToken);
        if (argument is not null)
        {
            return argument.GetLocation();
        }

        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax syntax)
        {
            return syntax.Name.GetLocation();
        }

        return Location.None;
    }
}
