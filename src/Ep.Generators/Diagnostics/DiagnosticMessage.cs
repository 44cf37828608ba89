using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Ep.Generators.Diagnostics;

/// <summary>
/// Turns a rule's composite format and arguments into a descriptor message and invariant-culture strings.
/// The compiler formats a diagnostic's arguments with the build machine's culture, which would print
/// <c>1,5 GiB</c> on a German machine; so the numbers are formatted here, with the rule's own format
/// specifiers (<c>{1:F2}</c>), and the descriptor gets the same text with plain <c>{1}</c> placeholders.
/// </summary>
internal static class DiagnosticMessage
{
    private static readonly Regex Placeholder = new(@"\{(?<index>\d+)(?<align>,-?\d+)?(?::(?<format>[^}]*))?\}", RegexOptions.CultureInvariant);

    /// <summary><paramref name="rule"/>'s message with format specifiers removed: <c>{1:F2}</c> becomes <c>{1}</c>.</summary>
    public static string Format(EpRule rule) =>
        Placeholder.Replace(rule.MessageFormat, match => "{" + match.Groups["index"].Value + "}");

    /// <summary>Each argument formatted with the specifier its placeholder carries in <paramref name="rule"/>, invariant culture.</summary>
    public static object[] Arguments(EpRule rule, object[] arguments)
    {
        var formatted = new object[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            formatted[i] = string.Format(CultureInfo.InvariantCulture, "{0" + SpecifierOf(rule, i) + "}", arguments[i]);
        }

        return formatted;
    }

    private static string SpecifierOf(EpRule rule, int index)
    {
        foreach (Match match in Placeholder.Matches(rule.MessageFormat))
        {
            if (int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) == index && match.Groups["format"].Success)
            {
                return ":" + match.Groups["format"].Value;
            }
        }

        return string.Empty;
    }
}
