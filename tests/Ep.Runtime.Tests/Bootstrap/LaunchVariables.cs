using System;
using System.Collections.Generic;

namespace Ep.Runtime.Tests.Bootstrap;

/// <summary>A fake environment for the launch parsers: "NAME=value" pairs, everything else unset.</summary>
internal static class LaunchVariables
{
    public static Func<string, string?> Of(params string[] assignments)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string assignment in assignments)
        {
            int equals = assignment.IndexOf('=', StringComparison.Ordinal);
            map[assignment[..equals]] = assignment[(equals + 1)..];
        }

        return name => map.TryGetValue(name, out string? value) ? value : null;
    }
}
