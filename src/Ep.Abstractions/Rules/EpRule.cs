using System.Globalization;

namespace Ep;

/// <summary>How bad a broken <see cref="EpRule"/> is.</summary>
public enum EpRuleSeverity
{
    /// <summary>The layer still works, perhaps slower or on another engine.</summary>
    Warning = 1,
    /// <summary>The layer cannot run: a compile error, or an exception when a layer is constructed.</summary>
    Error = 2,
}

/// <summary>
/// One rule a layer declaration must follow. The catalog <see cref="EpRules"/> is the single source of the
/// IDs, titles and messages: the analyzer turns these into diagnostics, the runtime into exceptions.
/// </summary>
public sealed class EpRule
{
    internal EpRule(string id, string title, string messageFormat, EpRuleSeverity severity)
    {
        Id = id;
        Title = title;
        MessageFormat = messageFormat;
        Severity = severity;
    }

    /// <summary>Diagnostic ID, EP0001…</summary>
    public string Id { get; }
    /// <summary>Short title.</summary>
    public string Title { get; }
    /// <summary>Composite format string; its arguments carry the offending numbers.</summary>
    public string MessageFormat { get; }
    /// <summary>Error or warning.</summary>
    public EpRuleSeverity Severity { get; }
    /// <summary>Link to the rule's entry in docs/diagnostics.md.</summary>
    public string HelpLink => EpRules.HelpLinkBase + Id.ToLowerInvariant();

    /// <inheritdoc/>
    public override string ToString() => Id + ": " + Title;
}

/// <summary>A rule that a declaration breaks: which rule, which attribute argument, and the numbers.</summary>
public sealed class EpRuleViolation
{
    /// <summary>Creates a violation of <paramref name="rule"/> at the attribute argument <paramref name="property"/>.</summary>
    public EpRuleViolation(EpRule rule, string property, params object[] arguments)
    {
        Rule = rule;
        Property = property;
        Arguments = arguments;
    }

    /// <summary>The rule broken.</summary>
    public EpRule Rule { get; }

    /// <summary>The <see cref="ExpertParallelLayerAttribute"/> property to blame, e.g. <c>TopK</c>.</summary>
    public string Property { get; }

    /// <summary>Values for <see cref="EpRule.MessageFormat"/>.</summary>
    public object[] Arguments { get; }

    /// <summary>The formatted message, invariant culture.</summary>
    public string Message => string.Format(CultureInfo.InvariantCulture, Rule.MessageFormat, Arguments);

    /// <inheritdoc/>
    public override string ToString() => Rule.Id + ": " + Message;
}
