using System;
using System.Runtime.InteropServices;
using System.Threading;
using Ep.Tools.Run;

// ep-run -n N [--timeout S] [--port P] [--master-addr A] -- <command> [args...]
EpRunOptions? options;
try
{
    options = EpRunCommandLine.Parse(args);
}
catch (EpRunUsageException error)
{
    Console.Error.WriteLine("ep-run: " + error.Message);
    Console.Error.WriteLine(EpRunCommandLine.Usage);
    return 2;
}

if (options is null)
{
    Console.WriteLine(EpRunCommandLine.Usage);
    return 0;
}

// Ctrl-C or a scheduler's SIGTERM: keep ep-run alive long enough to stop its ranks and say so.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using PosixSignalRegistration onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await new EpRunLauncher(options, Console.Out, Console.Error).RunAsync(stop.Token).ConfigureAwait(false);
