using System;
using System.Runtime.InteropServices;

namespace Ep.Interop.Nvrtc;

/// <summary>NVRTC, CUDA's run-time compiler: compiles the generated kernel source to a cubin for the device's arch.</summary>
internal static unsafe partial class Nvrtc
{
    private const string Library = "nvrtc";

    [LibraryImport(Library, EntryPoint = "nvrtcVersion")]
    internal static partial NvrtcResult Version(out int major, out int minor);

    [LibraryImport(Library, EntryPoint = "nvrtcCreateProgram", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NvrtcResult CreateProgram(out IntPtr program, string source, string name, int headerCount, byte** headers, byte** includeNames);

    [LibraryImport(Library, EntryPoint = "nvrtcCompileProgram")]
    internal static partial NvrtcResult CompileProgram(IntPtr program, int optionCount, byte** options);

    [LibraryImport(Library, EntryPoint = "nvrtcGetProgramLogSize")]
    internal static partial NvrtcResult GetProgramLogSize(IntPtr program, out nuint size);

    [LibraryImport(Library, EntryPoint = "nvrtcGetProgramLog")]
    internal static partial NvrtcResult GetProgramLog(IntPtr program, byte* log);

    [LibraryImport(Library, EntryPoint = "nvrtcGetCUBINSize")]
    internal static partial NvrtcResult GetCubinSize(IntPtr program, out nuint size);

    [LibraryImport(Library, EntryPoint = "nvrtcGetCUBIN")]
    internal static partial NvrtcResult GetCubin(IntPtr program, byte* cubin);

    [LibraryImport(Library, EntryPoint = "nvrtcDestroyProgram")]
    internal static partial NvrtcResult DestroyProgram(ref IntPtr program);

    [LibraryImport(Library, EntryPoint = "nvrtcGetErrorString")]
    internal static partial IntPtr GetErrorString(NvrtcResult result);
}

/// <summary><c>nvrtcResult</c>.</summary>
internal enum NvrtcResult
{
    Success = 0,
    OutOfMemory = 1,
    ProgramCreationFailure = 2,
    InvalidInput = 3,
    InvalidProgram = 4,
    InvalidOption = 5,
    Compilation = 6,
}

/// <summary>An NVRTC call failed; for compile errors the message holds the compiler's log.</summary>
public sealed class NvrtcException : Exception
{
    internal NvrtcException(string message, string log)
        : base(message)
    {
        Log = log;
    }

    /// <summary>The compiler's log (empty for failures other than compilation).</summary>
    public string Log { get; }

    internal static void ThrowIfFailed(NvrtcResult status, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != NvrtcResult.Success)
        {
            string text = Marshal.PtrToStringUTF8(Nvrtc.GetErrorString(status)) ?? status.ToString();
            throw new NvrtcException($"{call} failed with {text} ({(int)status}).", string.Empty);
        }
    }
}
