using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ep.Bench.Report;

/// <summary>Writes the report as JSON (camelCase, numbers as numbers, nulls omitted): the record types are the schema.</summary>
internal static class JsonReportWriter
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The report as JSON text.</summary>
    public static string Serialize<TReport>(TReport report) => JsonSerializer.Serialize(report, Options);

    /// <summary>Writes the report (a <see cref="BenchReport"/> or the --kernels report) to <paramref name="path"/>, creating its folder.</summary>
    public static void Write<TReport>(TReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, Serialize(report));
    }
}
