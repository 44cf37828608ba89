using System;

namespace Ep;

/// <summary>
/// What a captured training step runs after its forward pass (<see cref="EpLayerRuntime.CaptureTrainingStep"/>): the
/// caller's code from the combined rows to their gradient, and the experts' backward.
/// </summary>
/// <param name="OutputGradient">Given the combined [T, H] rows, enqueues what follows the layer and returns dLoss/dCombined, [T, H].</param>
/// <param name="Experts">Given the expert-output gradient (<see cref="EpStepRows.Tokens"/>), returns the gradient of the experts' input rows.</param>
internal sealed record EpStepBackward(Func<DeviceTensor<BFloat16>, DeviceTensor<BFloat16>> OutputGradient, Func<EpStepRows, DeviceTensor<BFloat16>> Experts);
