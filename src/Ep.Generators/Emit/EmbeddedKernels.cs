using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;

namespace Ep.Generators.Emit;

/// <summary>One CUDA source file embedded in the generator (from <c>native/kernels/*.cuh</c>).</summary>
internal sealed record KernelFile(string FileName, string Text);

/// <summary>
/// The CUDA sources embedded in this assembly as <c>Ep.Kernels.&lt;file&gt;</c>, in ordinal file-name order (the
/// order their dependencies assume). Read once per process: the generator runs on every keystroke, and the resources
/// cannot change while the assembly is loaded.
/// </summary>
internal static class EmbeddedKernels
{
    public const string ResourcePrefix = "Ep.Kernels.";

    public static IReadOnlyList<KernelFile> Files { get; } = Load(typeof(EmbeddedKernels).Assembly);

    /// <summary>Reads every <c>Ep.Kernels.*</c> resource of <paramref name="assembly"/>, with line endings made <c>\n</c>.</summary>
    public static IReadOnlyList<KernelFile> Load(Assembly assembly) => assembly
        .GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .OrderBy(name => name, StringComparer.Ordinal)
        .Select(name => new KernelFile(name.Substring(ResourcePrefix.Length), ReadText(assembly, name)))
        .ToArray();

    private static string ReadText(Assembly assembly, string resourceName)
    {
        using Stream stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException("Embedded kernel resource '" + resourceName + "' is listed but cannot be opened.");
        using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: true);
        return NormalizeLineEndings(reader.ReadToEnd());
    }

    /// <summary>
    /// Makes every line break <c>\n</c>: a checkout with CRLF must not change the kernel text, which is NVRTC's cache
    /// key and a snapshot.
    /// </summary>
    public static string NormalizeLineEndings(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');
}
