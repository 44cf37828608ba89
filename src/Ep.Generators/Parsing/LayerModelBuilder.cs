using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Ep.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Ep.Generators.Parsing;

/// <summary>Turns an annotated class into a <see cref="LayerModel"/>, or null when the analyzer will report an error instead.</summary>
internal static class LayerModelBuilder
{
    /// <summary>Dotted namespace names without <c>@</c> escapes (the model holds names, emitters escape them), e.g. <c>event.Models</c>.</summary>
    private static readonly SymbolDisplayFormat NamespaceFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

    public static LayerModel? Build(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length == 0)
        {
            return null;
        }

        if (LayerTypeShape.Check(type, cancellationToken).Count > 0)
        {
            return null;
        }

        EpLayerSpec spec = LayerAttributeReader.ReadSpec(context.Attributes[0]);
        if (EpLayerRules.HasErrors(EpLayerRules.Check(spec, spec.Ranks)))
        {
            return null;
        }

        return new LayerModel(
            type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString(NamespaceFormat),
            ContainingTypes(type),
            type.Name,
            AccessibilityKeyword(type.DeclaredAccessibility),
            spec);
    }

    private static EquatableArray<ContainingType> ContainingTypes(INamedTypeSymbol type)
    {
        var outers = new List<ContainingType>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            outers.Add(new ContainingType(Keyword(outer), outer.Name));
        }

        outers.Reverse();
        return outers.ToEquatableArray();
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string AccessibilityKeyword(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => string.Empty,
    };
}
