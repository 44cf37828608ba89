using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace Ep.CodeFixes;

/// <summary>
/// Finds and rewrites the named arguments of an <c>[ExpertParallelLayer(...)]</c> attribute. The analyzer reports value
/// diagnostics at the whole argument (<c>Payload = EpPayload.Float8E4M3</c>), so the fixes start from that span.
/// </summary>
internal static class LayerArguments
{
    /// <summary>
    /// The named argument <paramref name="property"/> whose syntax is exactly <paramref name="span"/>, or null. Null also
    /// when the diagnostic is at the attribute's name (the argument is missing): then there is nothing to replace.
    /// </summary>
    public static AttributeArgumentSyntax? At(SyntaxNode root, TextSpan span, string property)
    {
        SyntaxNode node = root.FindNode(span, getInnermostNodeForTie: false);
        AttributeArgumentSyntax? argument = node as AttributeArgumentSyntax ?? node.FirstAncestorOrSelf<AttributeArgumentSyntax>();
        return argument is not null && argument.Span == span && argument.NameEquals?.Name.Identifier.ValueText == property
            ? argument
            : null;
    }

    /// <summary>The named argument <paramref name="property"/> of the attribute that holds <paramref name="sibling"/>, or null.</summary>
    public static AttributeArgumentSyntax? Sibling(AttributeArgumentSyntax sibling, string property)
    {
        if (sibling.Parent is not AttributeArgumentListSyntax list)
        {
            return null;
        }

        foreach (AttributeArgumentSyntax argument in list.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == property)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The <see cref="int"/> constant <paramref name="argument"/> sets, or null when it is not an int constant.</summary>
    public static async Task<int?> IntValueAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken)
    {
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        Optional<object?> value = model?.GetConstantValue(argument.Expression, cancellationToken) ?? default;
        return value.HasValue && value.Value is int number ? number : null;
    }

    /// <summary>
    /// <paramref name="document"/> with the value of <paramref name="argument"/> replaced by <paramref name="value"/>.
    /// The old value's trivia (a trailing comment, the line break before the next argument) stays where it was.
    /// </summary>
    public static async Task<Document> ReplaceValueAsync(Document document, AttributeArgumentSyntax argument, ExpressionSyntax value, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        ExpressionSyntax old = argument.Expression;
        ExpressionSyntax replacement = value.WithLeadingTrivia(old.GetLeadingTrivia()).WithTrailingTrivia(old.GetTrailingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(old, replacement));
    }

    /// <summary>An int literal, e.g. the new <c>HiddenSize</c>.</summary>
    public static ExpressionSyntax Literal(int value) =>
        SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));

    /// <summary>
    /// <c>global::Ep.{enumType}.{member}</c>, marked for the simplifier: it becomes <c>EpPayload.BFloat16</c> where
    /// <c>using Ep;</c> is in scope and stays fully qualified where it is not, so the fix never needs to add a using.
    /// </summary>
    public static ExpressionSyntax EnumMember(string enumType, string member)
    {
        NameSyntax type = SyntaxFactory.QualifiedName(
            SyntaxFactory.AliasQualifiedName(SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)), SyntaxFactory.IdentifierName("Ep")),
            SyntaxFactory.IdentifierName(enumType));
        return SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, type, SyntaxFactory.IdentifierName(member))
            .WithAdditionalAnnotations(Simplifier.Annotation);
    }
}
