using System;
using System.Threading;
using ScottPlot;
using SkiaSharp;

namespace Ep.Tool.Bench;

/// <summary>
/// The plots' font, carried inside the tool (DejaVu Sans from Debian's fonts-dejavu-core; its licence is
/// Fonts/LICENSE-DejaVu.txt). A GPU server often has no fonts installed, and Skia then draws no text at all: no title,
/// axis labels, ticks or legend (seen on the project's device machine). Every plot uses this font, so a plot looks the
/// same on every machine.
/// </summary>
internal sealed class BundledFont : IFontResolver
{
    /// <summary>The name plots ask for; only this resolver answers to it.</summary>
    public const string Family = "Ep Plot Sans";

    private const string Resource = "Ep.Tool.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKTypeface> Typeface = new(Load);
    private static int s_registered;

    /// <summary>Adds the resolver to ScottPlot once per process and makes the font the default for text.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            Fonts.FontResolvers.Add(new BundledFont());
            Fonts.Default = Family;
        }
    }

    public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
        fontName == Family ? Typeface.Value : null;

    public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
        fontName == Family ? Typeface.Value : null;

    private static SKTypeface Load()
    {
        using System.IO.Stream stream = typeof(BundledFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The tool's plot font ({Resource}) is missing from the assembly.");
        return SKTypeface.FromStream(stream)
            ?? throw new InvalidOperationException($"Skia could not read the tool's plot font ({Resource}).");
    }
}
