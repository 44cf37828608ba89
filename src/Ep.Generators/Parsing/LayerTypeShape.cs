using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.Generators.Parsing;

/// <summary>A class-shape problem (EP0001–EP0003, EP0022–EP0025) and where it is.</summary>
internal sealed record LayerTypeProblem(EpRule Rule, Location Location, string[] Arguments);

/// <summary>
/// Checks that the annotated class can receive generated members: partial, in partial types, not generic, and
/// none of the shapes the generated instance members cannot compile in (static, record, primary constructor, file-local).
/// Each problem points at the token that causes it: the class or containing type's name, or the offending modifier.
/// </summary>
internal static class LayerTypeShape
{
    public static IReadOnlyList<LayerTypeProblem> Check(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var problems = new List<LayerTypeProblem>();
        Location nameLocation = type.Locations.FirstOrDefault() ?? Location.None;
        TypeDeclarationSyntax[] declarations = Declarations(type, cancellationToken);

        if (!IsPartial(declarations))
        {
            problems.Add(new LayerTypeProblem(EpRules.ClassNotPartial, nameLocation, new[] { type.Name }));
        }

        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!IsPartial(Declarations(outer, cancellationToken)))
            {
                // The outer type is what must change, so point at its name, not the layer's.
                Location outerLocation = outer.Locations.FirstOrDefault() ?? nameLocation;
                problems.Add(new LayerTypeProblem(EpRules.ContainingTypeNotPartial, outerLocation, new[] { type.Name, outer.Name }));
            }
        }

        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.TypeParameters.Length > 0) // not IsGenericType, which is also true inside a generic type
            {
                Location genericLocation = current.Locations.FirstOrDefault() ?? nameLocation;
                problems.Add(new LayerTypeProblem(EpRules.GenericLayer, genericLocation, new[] { type.Name }));
                break;
            }
        }

        CheckGeneratedMembersFit(type, declarations, nameLocation, problems);
        return problems;
    }

    /// <summary>Shapes where the generated constructor, instance fields or <c>IDisposable</c> would not compile or not apply.</summary>
    private static void CheckGeneratedMembersFit(
        INamedTypeSymbol type, TypeDeclarationSyntax[] declarations, Location nameLocation, List<LayerTypeProblem> problems)
    {
        string[] name = { type.Name };
        if (type.IsStatic)
        {
            problems.Add(new LayerTypeProblem(EpRules.StaticLayer, ModifierLocation(declarations, SyntaxKind.StaticKeyword) ?? nameLocation, name));
        }

        if (type.IsRecord)
        {
            RecordDeclarationSyntax? record = declarations.OfType<RecordDeclarationSyntax>().FirstOrDefault();
            problems.Add(new LayerTypeProblem(EpRules.RecordLayer, record?.Keyword.GetLocation() ?? nameLocation, name));
        }
        else if (declarations.FirstOrDefault(d => d.ParameterList is not null) is { ParameterList: { } parameters })
        {
            problems.Add(new LayerTypeProblem(EpRules.PrimaryConstructorLayer, parameters.GetLocation(), name));
        }

        if (type.IsFileLocal)
        {
            problems.Add(new LayerTypeProblem(EpRules.FileLocalLayer, ModifierLocation(declarations, SyntaxKind.FileKeyword) ?? nameLocation, name));
        }
    }

    private static TypeDeclarationSyntax[] Declarations(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .ToArray();

    private static bool IsPartial(TypeDeclarationSyntax[] declarations) =>
        declarations.Any(declaration => declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static Location? ModifierLocation(TypeDeclarationSyntax[] declarations, SyntaxKind modifier)
    {
        foreach (TypeDeclarationSyntax declaration in declarations)
        {
            int index = declaration.Modifiers.IndexOf(modifier);
            if (index >= 0)
            {
                return declaration.Modifiers[index].GetLocation();
            }
        }

        return null;
    }
}
