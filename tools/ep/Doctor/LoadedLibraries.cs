using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Ep.Tool.Doctor;

/// <summary>
/// Which files this process really loaded, read from <c>/proc/self/maps</c> (Linux): the path behind a library handle,
/// and every mapped copy of a library. On a GPU machine with a system libnccl and a separately built one, this is what
/// tells them apart. Elsewhere (no /proc) the answers are null and empty.
/// </summary>
internal static class LoadedLibraries
{
    private const string Maps = "/proc/self/maps";

    /// <summary>The file that maps <paramref name="symbol"/> of <paramref name="library"/>; null when unknown.</summary>
    public static string? PathOf(IntPtr library, string symbol)
    {
        if (library == IntPtr.Zero || !File.Exists(Maps) || !NativeLibrary.TryGetExport(library, symbol, out IntPtr address))
        {
            return null;
        }

        return MappingOf(ReadMaps(), (ulong)address);
    }

    /// <summary>The distinct files mapped into this process whose name starts with <paramref name="namePrefix"/>.</summary>
    public static IReadOnlyList<string> Copies(string namePrefix) =>
        File.Exists(Maps) ? Copies(ReadMaps(), namePrefix) : [];

    /// <summary>The file of the mapping that contains <paramref name="address"/>, from lines in /proc/PID/maps' format.</summary>
    internal static string? MappingOf(IEnumerable<string> maps, ulong address)
    {
        ArgumentNullException.ThrowIfNull(maps);
        foreach (string line in maps)
        {
            if (Parse(line) is { } mapping && mapping.Start <= address && address < mapping.End)
            {
                return mapping.Path;
            }
        }

        return null;
    }

    /// <summary>The distinct mapped files whose file name starts with <paramref name="namePrefix"/>, in first-mapped order.</summary>
    internal static IReadOnlyList<string> Copies(IEnumerable<string> maps, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(maps);
        return maps.Select(Parse)
            .Where(m => m is not null && Path.GetFileName(m.Value.Path).StartsWith(namePrefix, StringComparison.Ordinal))
            .Select(m => m!.Value.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>"start-end perms offset dev inode   /path" → the range and the path; null for anonymous mappings.</summary>
    private static (ulong Start, ulong End, string Path)? Parse(string line)
    {
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6 || !fields[5].StartsWith('/'))
        {
            return null;
        }

        string[] range = fields[0].Split('-');
        return range.Length == 2
            && ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            && ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end)
            ? (start, end, fields[5].Trim())
            : null;
    }

    private static string[] ReadMaps()
    {
        try
        {
            return File.ReadAllLines(Maps);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}
