using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ep.Tools.Run;

/// <summary>Parses <c>ep-run -n N [--timeout S] [--port P] [--master-addr A] [--] command [args]</c>.</summary>
internal static class EpRunCommandLine
{
    public const int MaxRanks = 1024;

    public const string Usage =
        """
        Usage: ep-run -n N [--timeout S] [--port P] [--master-addr A] -- <command> [args...]

          -n, --ranks N        number of processes to start (1 to 1024)
          --timeout S          stop every rank and exit 124 after S seconds (default: no limit)
          --port P             rank 0's rendezvous port (default: a free port)
          --master-addr A      address of rank 0 (default: 127.0.0.1)
          -h, --help           show this text

        Each rank gets EP_RANK, EP_WORLD_SIZE, EP_LOCAL_RANK, EP_LOCAL_WORLD_SIZE, EP_MASTER_ADDR and
        EP_MASTER_PORT; its output lines are prefixed with "[rank K] ". When a rank exits non-zero, or the
        timeout passes, the others are stopped and ep-run exits with that rank's code (124 for a timeout).
        """;

    /// <summary>The options, or null when help was asked for.</summary>
    /// <exception cref="EpRunUsageException">The command line is wrong; the message says how.</exception>
    public static EpRunOptions? Parse(IReadOnlyList<string> args)
    {
        int? ranks = null;
        TimeSpan? timeout = null;
        int? port = null;
        string address = EpRunOptions.DefaultMasterAddress;
        int i = 0;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }

            if (!arg.StartsWith('-'))
            {
                break; // the command starts here; everything after it belongs to it
            }

            switch (arg)
            {
                case "-h" or "--help":
                    return null;
                case "-n" or "--ranks":
                    ranks = Integer(arg, Value(args, ref i), 1, MaxRanks, "a number of processes in [1, 1024]");
                    break;
                case "--timeout":
                    timeout = Seconds(arg, Value(args, ref i));
                    break;
                case "--port":
                    port = Integer(arg, Value(args, ref i), 1, 65535, "a TCP port in [1, 65535]");
                    break;
                case "--master-addr":
                    address = Value(args, ref i);
                    break;
                default:
                    throw new EpRunUsageException($"unknown option '{arg}'.");
            }
        }

        if (ranks is null)
        {
            throw new EpRunUsageException("-n N (the number of processes) is required.");
        }

        if (i >= args.Count)
        {
            throw new EpRunUsageException("no command given; put it after '--', e.g. ep-run -n 4 -- dotnet MyTraining.dll");
        }

        var arguments = new List<string>();
        for (int a = i + 1; a < args.Count; a++)
        {
            arguments.Add(args[a]);
        }

        return new EpRunOptions(ranks.Value, timeout, port, address, args[i], arguments);
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1] == "--")
        {
            throw new EpRunUsageException($"'{args[i]}' needs a value.");
        }

        return args[++i];
    }

    private static int Integer(string option, string text, int min, int max, string form)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new EpRunUsageException($"{option} expects {form}; got '{text}'.");
        }

        return value;
    }

    private static TimeSpan Seconds(string option, string text)
    {
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
            || seconds <= 0 || seconds > TimeSpan.FromDays(30).TotalSeconds)
        {
            throw new EpRunUsageException($"{option} expects a positive number of seconds; got '{text}'.");
        }

        return TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>The ep-run command line is wrong; ep-run prints the message and the usage, and exits 2.</summary>
internal sealed class EpRunUsageException : Exception
{
    public EpRunUsageException(string message)
        : base(message)
    {
    }
}
