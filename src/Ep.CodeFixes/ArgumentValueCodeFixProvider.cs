using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ep.CodeFixes;

/// <summary>
/// The shape every "give this attribute argument another value" fix shares: the diagnostic sits on the argument named
/// <see cref="ArgumentName"/>, the fix replaces its value (trivia kept) under one equivalence key so fix-all applies the
/// fixes together. A derived fix only says what the new value is, or that it has none for this argument.
/// </summary>
public abstract class ArgumentValueCodeFixProvider : CodeFixProvider
{
    /// <summary>The <c>[ExpertParallelLayer]</c> property whose argument the diagnostic marks.</summary>
    protected abstract string ArgumentName { get; }

    /// <summary>The equivalence key shared by every action of the fix.</summary>
    protected abstract string Key { get; }

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            AttributeArgumentSyntax? argument = LayerArguments.At(root, diagnostic.Location.SourceSpan, ArgumentName);
            ArgumentValueFix? fix = argument is null ? null : await NewValueAsync(context.Document, argument, context.CancellationToken).ConfigureAwait(false);
            if (argument is null || fix is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(fix.Title, cancellationToken => LayerArguments.ReplaceValueAsync(context.Document, argument, fix.Value, cancellationToken), Key),
                diagnostic);
        }
    }

    /// <summary>The new value of <paramref name="argument"/> and the action's title, or null when this fix has none.</summary>
    protected abstract Task<ArgumentValueFix?> NewValueAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken);
}

/// <summary>One argument fix: what the code action is called and the expression it writes.</summary>
public sealed class ArgumentValueFix
{
    /// <summary>Creates the fix.</summary>
    public ArgumentValueFix(string title, ExpressionSyntax value)
    {
        Title = title;
        Value = value;
    }

    /// <summary>The code action's title.</summary>
    public string Title { get; }

    /// <summary>The argument's new value.</summary>
    public ExpressionSyntax Value { get; }
}
