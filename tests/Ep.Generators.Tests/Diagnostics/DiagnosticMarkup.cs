using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>A diagnostic the markup expects: its ID and the span of source it covers.</summary>
internal sealed record MarkedSpan(string Id, TextSpan Span);

/// <summary>
/// Source text with the expected diagnostics marked in place: <c>{|EP0005:TopK = 9|}</c> means an EP0005 whose span
/// is exactly <c>TopK = 9</c>. Marks do not nest; the markers are removed from the source the compiler sees.
/// </summary>
internal sealed class DiagnosticMarkup
{
    private const string OpenPrefix = "{|";
    private const string Close = "|}";

    private DiagnosticMarkup(string source, IReadOnlyList<MarkedSpan> spans)
    {
        Source = source;
        Spans = spans;
    }

    /// <summary>The source without markers.</summary>
    public string Source { get; }

    /// <summary>The marked spans, in source order.</summary>
    public IReadOnlyList<MarkedSpan> Spans { get; }

    public static DiagnosticMarkup Parse(string markup)
    {
        var source = new StringBuilder(markup.Length);
        var spans = new List<MarkedSpan>();
        int position = 0;
        while (true)
        {
            int open = markup.IndexOf(OpenPrefix, position, StringComparison.Ordinal);
            if (open < 0)
            {
                source.Append(markup, position, markup.Length - position);
                return new DiagnosticMarkup(source.ToString(), spans);
            }

            source.Append(markup, position, open - position);
            int colon = markup.IndexOf(':', open);
            int close = markup.IndexOf(Close, open, StringComparison.Ordinal);
            if (colon < 0 || close < 0 || colon > close)
            {
                throw new FormatException($"Unterminated or unnamed mark at offset {open}: expected {{|ID:text|}}.");
            }

            string id = markup.Substring(open + OpenPrefix.Length, colon - open - OpenPrefix.Length);
            string text = markup.Substring(colon + 1, close - colon - 1);
            spans.Add(new MarkedSpan(id, new TextSpan(source.Length, text.Length)));
            source.Append(text);
            position = close + Close.Length;
        }
    }
}
