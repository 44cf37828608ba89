using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using ScottPlot;

namespace Ep.Tool.Bench;

/// <summary>A stroke colour that only dashed (or dotted) lines use, and the pattern they are drawn with.</summary>
/// <param name="Color">The line's colour; no solid line of the same plot may use it.</param>
/// <param name="Pattern">ScottPlot's pattern: its intervals are pixels, unscaled by the line width, as in SVG.</param>
internal sealed record DashedStroke(Color Color, LinePattern Pattern);

/// <summary>
/// Puts dash patterns into an SVG written by Skia's SVG canvas (ScottPlot's <c>SaveSvg</c>), which drops path effects:
/// every element whose <c>stroke</c> is one of the given colours gets <c>stroke-dasharray</c> (and
/// <c>stroke-dashoffset</c> for a non-zero phase). The lines are found by colour because Skia's SVG carries nothing else
/// that names a plottable, so each dashed line must have a colour no solid line has.
/// </summary>
internal static class SvgDashes
{
    /// <summary>CSS's basic colour names, which Skia's SVG writer prints instead of their hex value.</summary>
    private static readonly Dictionary<string, uint> NamedColors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["black"] = 0x000000, ["navy"] = 0x000080, ["blue"] = 0x0000FF, ["green"] = 0x008000,
        ["teal"] = 0x008080, ["lime"] = 0x00FF00, ["aqua"] = 0x00FFFF, ["maroon"] = 0x800000,
        ["purple"] = 0x800080, ["olive"] = 0x808000, ["gray"] = 0x808080, ["silver"] = 0xC0C0C0,
        ["red"] = 0xFF0000, ["fuchsia"] = 0xFF00FF, ["yellow"] = 0xFFFF00, ["white"] = 0xFFFFFF,
    };

    /// <summary>Writes <paramref name="svg"/> to <paramref name="path"/> with the dash patterns put back.</summary>
    public static void Save(string svg, IEnumerable<DashedStroke> dashed, string path)
    {
        XDocument document = Apply(svg, dashed);
        using var writer = new StreamWriter(path);
        document.Save(writer);
    }

    /// <summary><paramref name="svg"/> with <c>stroke-dasharray</c> on every element stroked in a dashed colour.</summary>
    public static XDocument Apply(string svg, IEnumerable<DashedStroke> dashed)
    {
        ArgumentNullException.ThrowIfNull(svg);
        ArgumentNullException.ThrowIfNull(dashed);
        Dictionary<uint, LinePattern> patterns = dashed
            .Where(d => d.Pattern.Intervals.Length > 0)
            .ToDictionary(d => Rgb(d.Color), d => d.Pattern);
        XDocument document = XDocument.Parse(svg);
        foreach (XElement element in document.Descendants())
        {
            if (element.Attribute("stroke") is { } stroke && ParseColor(stroke.Value) is { } rgb && patterns.TryGetValue(rgb, out LinePattern pattern))
            {
                element.SetAttributeValue("stroke-dasharray", string.Join(' ', pattern.Intervals.Select(i => i.ToString(CultureInfo.InvariantCulture))));
                if (pattern.Phase != 0)
                {
                    element.SetAttributeValue("stroke-dashoffset", pattern.Phase.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        return document;
    }

    /// <summary>0xRRGGBB of a ScottPlot colour (alpha goes to <c>stroke-opacity</c> in SVG, so it is not compared).</summary>
    public static uint Rgb(Color color) => ((uint)color.R << 16) | ((uint)color.G << 8) | color.B;

    /// <summary>0xRRGGBB of an SVG paint: <c>#RRGGBB</c>, <c>#RGB</c> or a basic colour name; null for anything else.</summary>
    public static uint? ParseColor(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string text = value.Trim();
        if (NamedColors.TryGetValue(text, out uint named))
        {
            return named;
        }

        if (text.Length is 7 or 4 && text[0] == '#' && uint.TryParse(text.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex))
        {
            return text.Length == 7
                ? hex
                : ((hex >> 8 & 0xF) * 0x110000) | ((hex >> 4 & 0xF) * 0x1100) | ((hex & 0xF) * 0x11);
        }

        return null;
    }
}
