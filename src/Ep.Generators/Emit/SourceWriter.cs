using System.Text;

namespace Ep.Generators.Emit;

/// <summary>
/// Builds generated source text line by line with four-space indentation and <c>\n</c> line endings, so that the
/// output is the same on every OS (snapshots compare it byte for byte).
/// </summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";

    private readonly StringBuilder _text = new();
    private int _depth;

    /// <summary>
    /// Writes one line at the current indentation; an empty line gets no trailing spaces. Line breaks inside
    /// <paramref name="line"/> are kept as they are, so a multi-line verbatim string's value is not re-indented.
    /// </summary>
    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (int i = 0; i < _depth; i++)
            {
                _text.Append(IndentUnit);
            }

            _text.Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace, and indents what follows.</summary>
    public SourceWriter Open(string header)
    {
        Line(header);
        Line("{");
        _depth++;
        return this;
    }

    /// <summary>Closes the innermost <see cref="Open"/>; a blank line left after its last member is dropped.</summary>
    public SourceWriter Close()
    {
        _depth--;
        if (_text.Length >= 2 && _text[_text.Length - 1] == '\n' && _text[_text.Length - 2] == '\n')
        {
            _text.Length--;
        }

        return Line("}");
    }

    /// <summary>Writes an XML doc <c>&lt;summary&gt;</c> on one line.</summary>
    public SourceWriter Summary(string text) => Line("/// <summary>" + text + "</summary>");

    /// <summary>Writes an XML doc <c>&lt;param&gt;</c>.</summary>
    public SourceWriter Param(string name, string text) => Line("/// <param name=\"" + name + "\">" + text + "</param>");

    /// <summary>Writes an XML doc <c>&lt;returns&gt;</c>.</summary>
    public SourceWriter Returns(string text) => Line("/// <returns>" + text + "</returns>");

    /// <summary>Writes an XML doc <c>&lt;exception&gt;</c>.</summary>
    public SourceWriter Exception(string type, string text) => Line("/// <exception cref=\"" + type + "\">" + text + "</exception>");

    /// <summary>Writes the attribute that marks a member as generated, so analyzers and coverage tools skip it.</summary>
    public SourceWriter GeneratedCode() => Line(GeneratorInfo.GeneratedCodeAttribute);

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();
}
