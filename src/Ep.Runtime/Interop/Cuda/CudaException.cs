using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ep.Interop.Cuda;

/// <summary>A CUDA driver call failed; the message carries the driver's own name and text for the status.</summary>
public sealed class CudaException : Exception
{
    internal CudaException(int status, string call, string name, string text)
        : base($"{call} failed with {name} ({status}): {text}")
    {
        Status = status;
        Call = call;
    }

    /// <summary>The <c>CUresult</c>.</summary>
    public int Status { get; }

    /// <summary>The failing call, as written at the call site.</summary>
    public string Call { get; }

    internal static void ThrowIfFailed(CudaResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != CudaResult.Success)
        {
            throw Create(status, call);
        }
    }

    private static CudaException Create(CudaResult status, string call)
    {
        string name = CudaDriver.GetErrorName(status, out IntPtr namePointer) == CudaResult.Success
            ? Marshal.PtrToStringUTF8(namePointer) ?? status.ToString()
            : status.ToString();
        string text = CudaDriver.GetErrorString(status, out IntPtr textPointer) == CudaResult.Success
            ? Marshal.PtrToStringUTF8(textPointer) ?? "no description"
            : "no description";
        return new CudaException((int)status, call, name, text);
    }
}
