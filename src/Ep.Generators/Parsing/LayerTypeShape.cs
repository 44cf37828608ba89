using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.Generators.Parsing;

/// <summary>A class-shape problem (EP0001–EP0003) and where it is.</summary>
internal sealed record LayerTypeProblem(EpRule Rule, Location Location, string[] Arguments);

/// <summary>Checks that the annotated class can receive generated members: partial, in partial types, not generic.</summary>
internal static class LayerTypeShape
{
    public static IReadOnlyList<LayerTypeProblem> Check(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var problems = new List<LayerTypeProblem>();
        Location nameLocation = type.Locations.FirstOrDefault() ?? Location.None;

        if (!IsPartial(type, cancellationToken))
        {
            problems.Add(new LayerTypeProblem(EpRules.ClassNotPartial, nameLocation, new[] { type.Name }));
        }

        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!IsPartial(outer, cancellationToken))
            {
                problems.Add(new LayerTypeProblem(EpRules.ContainingTypeNotPartial, nameLocation, new[] { type.Name, outer.Name }));
            }
        }

        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsGenericType)
            {
                problems.Add(new LayerTypeProblem(EpRules.GenericLayer, nameLocation, new[] { type.Name }));
                break;
            }
        }

        return problems;
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
            && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
}
