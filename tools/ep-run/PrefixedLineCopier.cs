using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Tools.Run;

/// <summary>
/// Copies a rank's stdout or stderr to ep-run's, one whole line at a time with "[rank K] " in front, so lines of
/// different ranks never interleave mid-line.
/// </summary>
internal static class PrefixedLineCopier
{
    public static async Task CopyAsync(StreamReader source, TextWriter destination, string prefix, CancellationToken cancel)
    {
        try
        {
            while (await source.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
            {
                lock (destination)
                {
                    destination.WriteLine(prefix + line);
                    destination.Flush();
                }
            }
        }
        catch (System.OperationCanceledException)
        {
            // ep-run stopped waiting for this stream (a killed rank's orphan may hold it open).
        }
        catch (IOException)
        {
            // The pipe broke because the rank was killed: nothing more to copy.
        }
    }
}
