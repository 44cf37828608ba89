using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.CodeFixes;

/// <summary>Adds <c>partial</c> to a type declaration without disturbing its other modifiers, attributes or comments.</summary>
internal static class PartialModifier
{
    /// <summary>
    /// <paramref name="declaration"/> with <c>partial</c> as its last modifier: C# requires <c>partial</c> immediately
    /// before <c>class</c>/<c>record</c>, so <c>public static</c> becomes <c>public static partial</c>. With no
    /// modifiers, <c>partial</c> takes over the keyword's leading trivia (indentation, a doc comment).
    /// </summary>
    public static TypeDeclarationSyntax Add(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return declaration;
        }

        SyntaxToken partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (declaration.Modifiers.Count > 0)
        {
            return declaration.WithModifiers(declaration.Modifiers.Add(partial));
        }

        SyntaxToken keyword = declaration.Keyword;
        return declaration
            .ReplaceToken(keyword, keyword.WithLeadingTrivia(SyntaxTriviaList.Empty))
            .WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(keyword.LeadingTrivia)));
    }
}
