using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace Ep.Generators.Emit;

/// <summary>C# literals for the values a layer's constants hold, in the invariant culture.</summary>
internal static class CSharpLiterals
{
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>A double literal that round-trips (<c>24.5D</c>), or the named constant for NaN and infinities.</summary>
    public static string Double(double value)
    {
        if (double.IsNaN(value))
        {
            return "double.NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return "double.PositiveInfinity";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "double.NegativeInfinity";
        }

        return value.ToString("R", CultureInfo.InvariantCulture) + "D";
    }

    /// <summary><c>global::Ep.EpLayout.Flat</c>, or a cast of the number when the value has no name.</summary>
    public static string Enum<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        string type = "global::" + typeof(TEnum).FullName;
        return System.Enum.IsDefined(typeof(TEnum), value)
            ? type + "." + value.ToString()
            : "(" + type + ")(" + Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + ")";
    }

    /// <summary>
    /// A verbatim string literal (<c>@"..."</c>, quotes doubled): valid in every C# version, and it keeps the text's
    /// line breaks as they are, so the constant's value is exactly <paramref name="text"/>.
    /// </summary>
    public static string Verbatim(string text) => "@\"" + text.Replace("\"", "\"\"") + "\"";

    /// <summary>An identifier as source text: reserved keywords get an <c>@</c> (a class named <c>@event</c> is <c>event</c> in its symbol).</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None ? name : "@" + name;

    /// <summary>A dotted namespace name with each part escaped as an <see cref="Identifier"/>.</summary>
    public static string QualifiedName(string dotted) => string.Join(".", dotted.Split('.').Select(Identifier));

    /// <summary>A regular string literal for short, single-line text such as type names.</summary>
    public static string Quoted(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
