using System;
using Ep.Tools.Run;

// ep-run -n N [--timeout S] [--port P] [--master-addr A] -- <command> [args...]
return await EpRunEntryPoint.RunAsync(args, "ep-run", Console.Out, Console.Error).ConfigureAwait(false);
