using System;
using System.Globalization;

namespace Ep.Bootstrap;

/// <summary>
/// Reads launch variables through a lookup function (the process environment, or a dictionary in tests) and turns every
/// missing or malformed value into an <see cref="EpConfigurationException"/> that names the variable, the form expected
/// and the value found.
/// </summary>
internal sealed class LaunchVariableReader
{
    private readonly Func<string, string?> _lookup;

    public LaunchVariableReader(Func<string, string?> lookup) => _lookup = lookup;

    /// <summary>The trimmed value, or null when the variable is unset or blank (launchers export empty values).</summary>
    public string? Text(string variable)
    {
        string? value = _lookup(variable);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public bool IsSet(string variable) => Text(variable) is not null;

    /// <summary>The first of <paramref name="variables"/> that is set, or null.</summary>
    public string? FirstSet(params string[] variables) => Array.Find(variables, IsSet);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="form"/> describes it for the message.</summary>
    public int Integer(string variable, int min, int max, string form)
    {
        string? text = Text(variable);
        if (text is null)
        {
            throw Invalid(variable, form, null);
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw Invalid(variable, form, _lookup(variable));
        }

        return value;
    }

    /// <summary>Seconds as a positive number (fractions allowed), at most one day.</summary>
    public TimeSpan Seconds(string variable)
    {
        string? text = Text(variable) ?? throw Invalid(variable, "a positive number of seconds", null);
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
            || seconds <= 0 || seconds > TimeSpan.FromDays(1).TotalSeconds)
        {
            throw Invalid(variable, "a positive number of seconds, at most 86400 (e.g. 300)", _lookup(variable));
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>A host name or IP address: no spaces.</summary>
    public string Host(string variable)
    {
        string text = Text(variable) ?? throw Invalid(variable, "a host name or IP address", null);
        if (text.AsSpan().IndexOfAny(" \t\r\n") >= 0)
        {
            throw Invalid(variable, "a host name or IP address", _lookup(variable));
        }

        return text;
    }

    public static EpConfigurationException Invalid(string variable, string form, string? actual) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{variable}: expected {form}, got {(actual is null ? "nothing (it is not set)" : "'" + actual + "'")}."));
}
