namespace Ep;

/// <summary>The engines that can run a layer.</summary>
public enum EpEngineKind
{
    /// <summary>Pure C# on the CPU with simulated ranks; defines the semantics every engine matches.</summary>
    Reference = 0,
    /// <summary>Generated NVRTC kernels plus a token exchange (device copies or NCCL send/recv).</summary>
    Staged = 1,
    /// <summary>NVIDIA's NCCL EP library.</summary>
    NcclEp = 2,
}
