using System;
using System.Globalization;

namespace Ep.Bootstrap;

/// <summary>
/// Slurm's <c>SLURM_TASKS_PER_NODE</c>: tasks on each node of the step in node order, with repeats compressed,
/// e.g. <c>4</c>, <c>4(x2)</c>, <c>2(x3),1</c>.
/// </summary>
internal static class SlurmTasksPerNode
{
    /// <summary>The task count of node <paramref name="nodeIndex"/> (SLURM_NODEID).</summary>
    /// <exception cref="EpConfigurationException">The text is malformed or has fewer nodes than <paramref name="nodeIndex"/> + 1.</exception>
    public static int ForNode(string text, int nodeIndex, string variable)
    {
        const string Form = "a Slurm task list such as '4', '4(x2)' or '2(x3),1'";
        int node = 0;
        foreach (string raw in text.Split(','))
        {
            string entry = raw.Trim();
            int repeat = 1;
            int open = entry.IndexOf('(', StringComparison.Ordinal);
            if (open >= 0)
            {
                if (!entry.EndsWith(')') || open + 2 >= entry.Length || entry[open + 1] != 'x'
                    || !int.TryParse(entry.AsSpan(open + 2, entry.Length - open - 3), NumberStyles.None, CultureInfo.InvariantCulture, out repeat)
                    || repeat < 1)
                {
                    throw LaunchVariableReader.Invalid(variable, Form, text);
                }

                entry = entry[..open];
            }

            if (!int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out int tasks) || tasks < 1)
            {
                throw LaunchVariableReader.Invalid(variable, Form, text);
            }

            if (nodeIndex < node + repeat)
            {
                return tasks;
            }

            node += repeat;
        }

        throw LaunchVariableReader.Invalid(variable,
            string.Create(CultureInfo.InvariantCulture, $"{Form} with an entry for node {nodeIndex} (SLURM_NODEID)"), text);
    }
}
