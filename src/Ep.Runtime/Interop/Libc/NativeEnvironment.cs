using System.Runtime.InteropServices;

namespace Ep.Interop.Libc;

/// <summary>
/// The C library's environment. <see cref="System.Environment.SetEnvironmentVariable(string, string)"/> changes only
/// .NET's copy on Linux; native code that calls <c>getenv</c> (NCCL EP's run-time nvcc compile) reads this one.
/// </summary>
internal static partial class NativeEnvironment
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Sets <paramref name="name"/> for native code too (and for .NET), keeping an existing native value.</summary>
    public static void SetIfUnset(string name, string value)
    {
        if (SetEnv(name, value, overwrite: 0) != 0)
        {
            throw new System.InvalidOperationException($"setenv({name}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        System.Environment.SetEnvironmentVariable(name, System.Environment.GetEnvironmentVariable(name) ?? value);
    }
}
