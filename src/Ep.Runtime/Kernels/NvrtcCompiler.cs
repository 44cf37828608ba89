using System;
using System.Text;
using Ep.Interop.Nvrtc;

namespace Ep.Kernels;

/// <summary>Compiles CUDA C++ source to a cubin with NVRTC; a compile error becomes an exception holding the log.</summary>
internal static unsafe class NvrtcCompiler
{
    /// <summary>
    /// Options for every Ep kernel. <c>--fmad=false</c> keeps multiply and add separately rounded, as the C# Reference
    /// engine computes them, so weighted sums match it bit for bit.
    /// </summary>
    public static string Options(string architecture) => $"--gpu-architecture={architecture} -std=c++17 --fmad=false";

    public static (int Major, int Minor) Version()
    {
        NvrtcException.ThrowIfFailed(Nvrtc.Version(out int major, out int minor));
        return (major, minor);
    }

    public static byte[] Compile(string source, string programName, string architecture)
    {
        NvrtcException.ThrowIfFailed(Nvrtc.CreateProgram(out IntPtr program, source, programName, 0, null, null));
        try
        {
            string[] options = Options(architecture).Split(' ');
            NvrtcResult compiled = CompileWith(program, options);
            if (compiled != NvrtcResult.Success)
            {
                string log = ReadLog(program);
                throw new NvrtcException(
                    $"NVRTC could not compile {programName} for {architecture}:{Environment.NewLine}{log}", log);
            }

            NvrtcException.ThrowIfFailed(Nvrtc.GetCubinSize(program, out nuint size));
            var cubin = new byte[(int)size];
            fixed (byte* destination = cubin)
            {
                NvrtcException.ThrowIfFailed(Nvrtc.GetCubin(program, destination));
            }

            return cubin;
        }
        finally
        {
            Nvrtc.DestroyProgram(ref program);
        }
    }

    private static NvrtcResult CompileWith(IntPtr program, string[] options)
    {
        byte[][] encoded = Array.ConvertAll(options, o => Encoding.UTF8.GetBytes(o + "\0"));
        var pointers = new byte*[encoded.Length];
        var pins = new System.Runtime.InteropServices.GCHandle[encoded.Length];
        try
        {
            for (int i = 0; i < encoded.Length; i++)
            {
                pins[i] = System.Runtime.InteropServices.GCHandle.Alloc(encoded[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                pointers[i] = (byte*)pins[i].AddrOfPinnedObject();
            }

            fixed (byte** optionPointers = pointers)
            {
                return Nvrtc.CompileProgram(program, options.Length, optionPointers);
            }
        }
        finally
        {
            foreach (var pin in pins)
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }
    }

    private static string ReadLog(IntPtr program)
    {
        if (Nvrtc.GetProgramLogSize(program, out nuint size) != NvrtcResult.Success || size <= 1)
        {
            return string.Empty;
        }

        var log = new byte[(int)size];
        fixed (byte* destination = log)
        {
            Nvrtc.GetProgramLog(program, destination);
        }

        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }
}
