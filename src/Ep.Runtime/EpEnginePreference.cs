using System;
using System.Globalization;

namespace Ep;

/// <summary>Which engine a group should use: a specific one, or <see cref="Auto"/> to let Ep choose.</summary>
public enum EpEnginePreference
{
    /// <summary>NCCL EP when it loads and fits the layer, else Staged on a GPU, else Reference (docs/engines.md).</summary>
    Auto = 0,
    /// <summary>The CPU reference engine (simulated ranks only).</summary>
    Reference = 1,
    /// <summary>Generated kernels plus a token exchange (a GPU; NCCL across processes).</summary>
    Staged = 2,
    /// <summary>NVIDIA's NCCL EP (one process per sm_90+ GPU, NCCL ≥ 2.30.3).</summary>
    NcclEp = 3,
}

/// <summary>Reads <see cref="EpEnginePreference"/> from the <c>EP_ENGINE</c> environment variable's spelling.</summary>
public static class EpEnginePreferenceParser
{
    /// <summary>The environment variable that forces an engine.</summary>
    public const string EnvironmentVariable = "EP_ENGINE";

    /// <summary>The accepted spellings, in the order the error message lists them.</summary>
    public static readonly string[] Names = { "auto", "reference", "staged", "nccl-ep" };

    /// <summary>
    /// Parses <paramref name="value"/> (case-insensitive, surrounding blanks ignored); null or blank means
    /// <see cref="EpEnginePreference.Auto"/>. Throws <see cref="EpConfigurationException"/> naming the accepted values.
    /// </summary>
    public static EpEnginePreference Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return EpEnginePreference.Auto;
        }

        return value.Trim().ToLowerInvariant() switch
        {
            "auto" => EpEnginePreference.Auto,
            "reference" => EpEnginePreference.Reference,
            "staged" => EpEnginePreference.Staged,
            "nccl-ep" => EpEnginePreference.NcclEp,
            _ => throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"{EnvironmentVariable} is '{value}', which is not an engine; use one of {string.Join(", ", Names)} (or leave it unset for auto).")),
        };
    }

    /// <summary>The spelling <see cref="Parse"/> accepts for <paramref name="preference"/>.</summary>
    public static string Name(EpEnginePreference preference) => preference switch
    {
        EpEnginePreference.Auto => "auto",
        EpEnginePreference.Reference => "reference",
        EpEnginePreference.Staged => "staged",
        EpEnginePreference.NcclEp => "nccl-ep",
        _ => throw new ArgumentOutOfRangeException(nameof(preference), preference, null),
    };
}
