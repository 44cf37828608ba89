using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Ep.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ep.Generators.Diagnostics;

/// <summary>
/// Reports every <see cref="EpRules"/> violation of an <c>[ExpertParallelLayer]</c> class: shape problems at the class,
/// containing type or modifier that causes them, value problems at the attribute argument that is wrong (or at the
/// attribute's name when a required argument is missing). The only reporter: the generator just skips invalid layers.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ExpertParallelLayerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => EpDiagnostics.All;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            INamedTypeSymbol? attributeType = start.Compilation.GetTypeByMetadataName(LayerAttributeReader.AttributeMetadataName);
            if (attributeType is null)
            {
                return; // Ep.Abstractions is not referenced: nothing can carry the attribute.
            }

            start.RegisterSymbolAction(symbol => AnalyzeType(symbol, attributeType), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.TypeKind != TypeKind.Class)
        {
            return; // The attribute only targets classes; the compiler reports CS0592 on anything else.
        }

        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
            {
                AnalyzeLayer(context, type, attribute, context.CancellationToken);
            }
        }
    }

    private static void AnalyzeLayer(SymbolAnalysisContext context, INamedTypeSymbol type, AttributeData attribute, CancellationToken cancellationToken)
    {
        foreach (LayerTypeProblem problem in LayerTypeShape.Check(type, cancellationToken))
        {
            context.ReportDiagnostic(Create(problem.Rule, problem.Location, problem.Arguments));
        }

        EpLayerSpec spec = LayerAttributeReader.ReadSpec(attribute);
        IReadOnlyList<EpRuleViolation> violations = EpLayerRules.Check(spec, spec.Ranks);
        foreach (EpRuleViolation violation in violations)
        {
            Location location = LayerAttributeReader.LocationOf(attribute, violation.Property, cancellationToken);
            context.ReportDiagnostic(Create(violation.Rule, location, violation.Arguments));
        }
    }

    private static Diagnostic Create(EpRule rule, Location location, object[] arguments) =>
        Diagnostic.Create(EpDiagnostics.For(rule), location, DiagnosticMessage.Arguments(rule, arguments));
}
