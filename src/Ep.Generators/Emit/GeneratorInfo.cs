using System.Reflection;

namespace Ep.Generators.Emit;

/// <summary>The generator's name and version as they appear in <c>[GeneratedCode]</c>.</summary>
internal static class GeneratorInfo
{
    public const string Name = "Ep.Generators";

    /// <summary>
    /// Major.minor.patch of this assembly. The informational version is not used: the SDK appends the commit hash to
    /// it, which would change generated text (and snapshots) on every commit.
    /// </summary>
    public static string Version { get; } = typeof(GeneratorInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static string GeneratedCodeAttribute { get; } =
        "[global::System.CodeDom.Compiler.GeneratedCode(\"" + Name + "\", \"" + Version + "\")]";
}
