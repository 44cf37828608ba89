using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ep.Bootstrap;

/// <summary>
/// Slurm's compressed host lists (<c>SLURM_JOB_NODELIST</c>): <c>a,b</c>, <c>node[01-04]</c>, <c>gpu[1,3-5]</c> and
/// mixtures such as <c>a[1-2],b7</c>. Zero padding in a range is kept (<c>node[08-10]</c> gives node08, node09, node10).
/// Only one bracket group per host pattern is understood, which is what Slurm writes for flat host names.
/// </summary>
internal static class SlurmNodeList
{
    /// <summary>The first host of <paramref name="list"/>: where Slurm's block distribution places rank 0.</summary>
    public static string FirstHost(string list, string variable) => Expand(list, variable)[0];

    /// <summary>Every host of <paramref name="list"/>, in order.</summary>
    /// <exception cref="EpConfigurationException">The list is empty or not in one of the forms above.</exception>
    public static IReadOnlyList<string> Expand(string list, string variable)
    {
        ArgumentNullException.ThrowIfNull(list);
        var hosts = new List<string>();
        foreach (string pattern in SplitTopLevel(list, variable))
        {
            ExpandPattern(pattern, list, variable, hosts);
        }

        if (hosts.Count == 0)
        {
            throw Malformed(variable, list, "it names no host");
        }

        return hosts;
    }

    // Commas separate hosts only outside brackets: "a[1,3],b" is two patterns.
    private static List<string> SplitTopLevel(string list, string variable)
    {
        var patterns = new List<string>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < list.Length; i++)
        {
            char c = list[i];
            if (c == '[')
            {
                depth++;
                if (depth > 1)
                {
                    throw Malformed(variable, list, "brackets are nested");
                }
            }
            else if (c == ']')
            {
                depth--;
                if (depth < 0)
                {
                    throw Malformed(variable, list, "a ']' has no matching '['");
                }
            }
            else if (c == ',' && depth == 0)
            {
                patterns.Add(list[start..i]);
                start = i + 1;
            }
        }

        if (depth != 0)
        {
            throw Malformed(variable, list, "a '[' is not closed");
        }

        patterns.Add(list[start..]);
        return patterns;
    }

    private static void ExpandPattern(string pattern, string list, string variable, List<string> hosts)
    {
        string trimmed = pattern.Trim();
        if (trimmed.Length == 0)
        {
            throw Malformed(variable, list, "it has an empty host name");
        }

        int open = trimmed.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            hosts.Add(trimmed);
            return;
        }

        int close = trimmed.IndexOf(']', open);
        string prefix = trimmed[..open];
        string suffix = trimmed[(close + 1)..];
        if (suffix.Contains('[', StringComparison.Ordinal))
        {
            throw Malformed(variable, list, "a host pattern has more than one bracket group");
        }

        foreach (string item in trimmed[(open + 1)..close].Split(','))
        {
            ExpandRange(item.Trim(), prefix, suffix, list, variable, hosts);
        }
    }

    private static void ExpandRange(string item, string prefix, string suffix, string list, string variable, List<string> hosts)
    {
        int dash = item.IndexOf('-', StringComparison.Ordinal);
        string first = dash < 0 ? item : item[..dash];
        string last = dash < 0 ? item : item[(dash + 1)..];
        if (!IsDigits(first) || !IsDigits(last))
        {
            throw Malformed(variable, list, $"'{item}' is not a number or a range like 01-04");
        }

        long from = long.Parse(first, NumberStyles.None, CultureInfo.InvariantCulture);
        long to = long.Parse(last, NumberStyles.None, CultureInfo.InvariantCulture);
        if (to < from)
        {
            throw Malformed(variable, list, $"the range '{item}' runs backwards");
        }

        // Slurm pads every number of a range to the width of its first bound.
        int width = first.Length;
        for (long n = from; n <= to; n++)
        {
            hosts.Add(prefix + n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0') + suffix);
        }
    }

    private static bool IsDigits(string text)
    {
        if (text.Length == 0 || text.Length > 18)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static EpConfigurationException Malformed(string variable, string list, string why) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{variable}: expected a Slurm host list such as 'node01,node02' or 'node[01-04]', got '{list}' ({why})."));
}
