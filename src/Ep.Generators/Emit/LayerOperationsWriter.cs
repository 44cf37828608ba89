using Ep.Generators.Model;

namespace Ep.Generators.Emit;

/// <summary>
/// Writes the eight operations of a layer (DESIGN.md section 3). Each checks its arguments' shapes inline, with the
/// layer's constants as literals, and only then calls the runtime, so a wrong shape throws before any engine work.
/// </summary>
/// <remarks>
/// ZeroCopy layers differ in two signatures: <c>Combine</c> takes a <c>SymmetricTensor</c> (peers read it in place,
/// so a plain buffer must not compile) and <c>Unpermute</c> returns one, so its result can be passed straight on.
/// Backward takes ordinary buffers in every layer: the runtime stages gradients itself.
/// LowLatency layers get no backward methods: NCCL EP's LL mode is inference-only, so training code against such a
/// layer does not compile rather than failing at run time. Every layer gets <c>CaptureStep</c>, a whole forward step
/// for CUDA-graph replays; HighThroughput layers also <c>CaptureTrainingStep</c>, forward and backward.
/// </remarks>
internal static class LayerOperationsWriter
{
    private const string Runtime = LayerLifetimeWriter.RuntimeField;
    private const string Tokens = "global::Ep.DeviceTensor<global::Ep.BFloat16>";
    private const string SymmetricTokens = "global::Ep.SymmetricTensor<global::Ep.BFloat16>";
    private const string ShapeException = "global::Ep.EpShapeException";
    private const string StateException = "global::Ep.EpStateException";
    private const string ShapeDoc = "A tensor's shape differs from the one documented for its parameter; nothing was sent.";

    public static void Write(SourceWriter writer, LayerModel layer)
    {
        var dims = new Dimensions(layer.Spec);
        WriteDispatch(writer, dims);
        WritePrepareDispatch(writer, dims);
        WriteDispatchPrepared(writer, dims);
        WritePermute(writer);
        WriteUnpermute(writer, layer, dims);
        WriteCombine(writer, layer, dims);
        WriteCaptureStep(writer, dims);
        if (layer.Spec.Algorithm == EpAlgorithm.LowLatency)
        {
            return;
        }

        WriteCombineBackward(writer, dims);
        WriteUnpermuteBackward(writer, dims);
        WritePermuteBackward(writer, dims);
        WriteDispatchBackward(writer, layer, dims);
        WriteCaptureTrainingStep(writer, layer, dims);
    }

    private static void WriteDispatch(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Starts a step: sends every token row to the ranks that own its experts. Collective: every rank calls it, each with its own tokens.");
        writer.Param("tokens", "[T, " + dims.H + "] token rows, where T (this rank's token count) is at most " + dims.MaxTokens + ".");
        writer.Param("topkIdx", "[T, " + dims.K + "] expert ids in [-1, " + dims.E + "); -1 means no expert. A row must not name an expert twice.");
        writer.Param("topkWeights", "[T, " + dims.K + "] routing weights, one per entry of <paramref name=\"topkIdx\"/>.");
        writer.Returns("The rows this rank received; its tensors stay valid until the next Dispatch of this instance.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception("global::Ep.EpRoutingException", "An expert id is outside [-1, " + dims.E + "), or a row names an expert twice.");
        writer.Exception("global::Ep.EpCapacityException", "A rank would receive more rows than its receive capacity; nothing was written.");
        writer.Exception(StateException, "The previous step of this instance has not reached Combine.");
        writer.GeneratedCode();
        writer.Open("public global::Ep.EpDispatchResult Dispatch(" + Tokens + " tokens, global::Ep.DeviceTensor<long> topkIdx, global::Ep.DeviceTensor<float> topkWeights)");
        WriteStepInputChecks(writer);
        writer.Line("return " + Runtime + ".Dispatch(tokens, topkIdx, topkWeights);");
        writer.Close();
        writer.Line();
    }

    /// <summary>The first half of Dispatch, ahead of it: the routing's checks start on the device and the call returns.</summary>
    private static void WritePrepareDispatch(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Starts the next step's routing checks on the device and returns without waiting for them, so they run while the caller enqueues other work; <c>Dispatch(tokens, routing)</c> then only reads their verdict. Collective: every rank calls it.");
        writer.Param("topkIdx", "[T, " + dims.K + "] expert ids in [-1, " + dims.E + "), T at most " + dims.MaxTokens + "; the step routes by them as this call's work reads them, so they may be rewritten afterwards.");
        writer.Param("topkWeights", "[T, " + dims.K + "] routing weights, read with the ids.");
        writer.Returns("The prepared routing, for this instance's next <c>Dispatch(tokens, routing)</c>; any other step start replaces it.");
        writer.Exception(ShapeException, "A tensor's shape differs from the one documented for its parameter; nothing was started.");
        writer.Exception(StateException, "The previous step of this instance has not reached Combine.");
        writer.GeneratedCode();
        writer.Open("public global::Ep.EpPreparedRouting PrepareDispatch(global::Ep.DeviceTensor<long> topkIdx, global::Ep.DeviceTensor<float> topkWeights)");
        writer.Line(ShapeChecks.Dimensions("topkIdx", 2));
        writer.Line(ShapeChecks.Columns("topkIdx", "TopK"));
        writer.Line(ShapeChecks.RowsAtMost("topkIdx", "MaxTokensPerRank"));
        writer.Line(ShapeChecks.Matrix("topkWeights", "topkIdx.Rows", "TopK"));
        writer.Line("return " + Runtime + ".PrepareDispatch(topkIdx, topkWeights);");
        writer.Close();
        writer.Line();
    }

    /// <summary>Dispatch with a prepared routing: its errors are thrown here, before anything is exchanged.</summary>
    private static void WriteDispatchPrepared(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Starts a step with the routing <c>PrepareDispatch</c> prepared: as <c>Dispatch(tokens, topkIdx, topkWeights)</c> with the ids and weights that call read. Collective.");
        writer.Param("tokens", "[T, " + dims.H + "] token rows, T the prepared routing's <c>TokenCount</c>.");
        writer.Param("routing", "This instance's latest <c>PrepareDispatch</c> result, not yet dispatched.");
        writer.Returns("The rows this rank received; its tensors stay valid until the next Dispatch of this instance.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception("global::Ep.EpRoutingException", "A prepared expert id is outside [-1, " + dims.E + "), or a row names an expert twice.");
        writer.Exception("global::Ep.EpCapacityException", "A rank would receive more rows than its receive capacity; nothing was written.");
        writer.Exception(StateException, "The previous step has not reached Combine, or <paramref name=\"routing\"/> is not this instance's latest prepared routing.");
        writer.GeneratedCode();
        writer.Open("public global::Ep.EpDispatchResult Dispatch(" + Tokens + " tokens, global::Ep.EpPreparedRouting routing)");
        writer.Line(ShapeChecks.Matrix("tokens", "routing.TokenCount", "HiddenSize"));
        writer.Line("return " + Runtime + ".Dispatch(tokens, routing);");
        writer.Close();
        writer.Line();
    }

    /// <summary>A whole forward step for replays: one CUDA graph on the NcclEp engine, the eager calls elsewhere.</summary>
    private static void WriteCaptureStep(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Captures a whole forward step (Dispatch, Permute, the experts' work, Unpermute, Combine) for replays on the same tensors: one CUDA graph per replay on the NcclEp engine, the eager calls elsewhere (the result's <c>How</c> says which). Collective.");
        WriteCapturedInputParams(writer, dims);
        writer.Param("experts", "Enqueues the experts' work on the rows' stream and returns their output, shaped as the rows' <c>Tokens</c> [rows, " + dims.H + "]; called once when captured as a graph, on every replay otherwise.");
        writer.Returns("The captured step: <c>Replay</c> runs it, <c>Wait</c> returns the combined [T, " + dims.H + "] rows.");
        WriteCaptureExceptions(writer);
        writer.Open("public global::Ep.EpCapturedStep CaptureStep(" + Tokens + " tokens, global::Ep.DeviceTensor<long> topkIdx, global::Ep.DeviceTensor<float> topkWeights, global::System.Func<global::Ep.EpStepRows, " + Tokens + "> experts)");
        WriteStepInputChecks(writer);
        writer.Line(ShapeChecks.NotNull("experts"));
        writer.Line("return " + Runtime + ".CaptureStep(tokens, topkIdx, topkWeights, experts);");
        writer.Close();
        writer.Line();
    }

    /// <summary>A whole training step for replays (HighThroughput layers): the forward step, then the backward pass, in the same graph.</summary>
    private static void WriteCaptureTrainingStep(SourceWriter writer, LayerModel layer, Dimensions dims)
    {
        writer.Summary("Captures a whole training step for replays on the same tensors: the forward step of <c>CaptureStep</c>, then the gradient of the combined rows from <paramref name=\"outputGradient\"/>, CombineBackward, UnpermuteBackward, the experts' backward, PermuteBackward and DispatchBackward; one CUDA graph per replay on the NcclEp engine, the eager calls elsewhere. Collective.");
        WriteCapturedInputParams(writer, dims);
        writer.Param("experts", "The experts' forward work, as for <c>CaptureStep</c>.");
        writer.Param("outputGradient", "Given the combined [T, " + dims.H + "] rows, enqueues what follows the layer and returns the gradient of the loss with respect to them, [T, " + dims.H + "].");
        writer.Param("expertsBackward", "Given the gradient of the experts' output (the rows' <c>Tokens</c>, grouped as in the forward pass), enqueues the experts' backward and returns the gradient of their input rows, shaped the same; the rows' <c>Output</c> is free to write.");
        writer.Returns(layer.Spec.ApplyWeightsInCombine
            ? "The captured step: <c>Replay</c> runs it, <c>Wait</c> returns the combined rows, <c>WaitGradients</c> the [T, " + dims.H + "] token and [T, " + dims.K + "] routing-weight gradients."
            : "The captured step: <c>Replay</c> runs it, <c>Wait</c> returns the combined rows, <c>WaitGradients</c> the [T, " + dims.H + "] token gradients (this layer applies no weights, so no weight gradients).");
        WriteCaptureExceptions(writer);
        writer.Open("public global::Ep.EpCapturedStep CaptureTrainingStep(" + Tokens + " tokens, global::Ep.DeviceTensor<long> topkIdx, global::Ep.DeviceTensor<float> topkWeights, global::System.Func<global::Ep.EpStepRows, " + Tokens + "> experts, global::System.Func<" + Tokens + ", " + Tokens + "> outputGradient, global::System.Func<global::Ep.EpStepRows, " + Tokens + "> expertsBackward)");
        WriteStepInputChecks(writer);
        writer.Line(ShapeChecks.NotNull("experts"));
        writer.Line(ShapeChecks.NotNull("outputGradient"));
        writer.Line(ShapeChecks.NotNull("expertsBackward"));
        writer.Line("return " + Runtime + ".CaptureTrainingStep(tokens, topkIdx, topkWeights, experts, outputGradient, expertsBackward);");
        writer.Close();
        writer.Line();
    }

    /// <summary>The documentation of a captured step's three input tensors, shared by CaptureStep and CaptureTrainingStep.</summary>
    private static void WriteCapturedInputParams(SourceWriter writer, Dimensions dims)
    {
        writer.Param("tokens", "[T, " + dims.H + "] token rows, T at most " + dims.MaxTokens + " and fixed for the step; write each replay's rows into this tensor.");
        writer.Param("topkIdx", "[T, " + dims.K + "] expert ids in [-1, " + dims.E + "), read by every replay; a bad entry is dropped from that replay and reported by <c>Wait</c>.");
        writer.Param("topkWeights", "[T, " + dims.K + "] routing weights, read by every replay.");
    }

    /// <summary>What CaptureStep and CaptureTrainingStep may throw, and their generated-code mark.</summary>
    private static void WriteCaptureExceptions(SourceWriter writer)
    {
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "The previous step of this instance has not reached Combine.");
        writer.GeneratedCode();
    }

    /// <summary>The checks of a step's inputs, shared by Dispatch, CaptureStep and CaptureTrainingStep: [T, H] tokens, T ≤ MaxTokensPerRank, [T, K] ids and weights.</summary>
    private static void WriteStepInputChecks(SourceWriter writer)
    {
        writer.Line(ShapeChecks.Dimensions("tokens", 2));
        writer.Line(ShapeChecks.Columns("tokens", "HiddenSize"));
        writer.Line(ShapeChecks.RowsAtMost("tokens", "MaxTokensPerRank"));
        writer.Line(ShapeChecks.Matrix("topkIdx", "tokens.Rows", "TopK"));
        writer.Line(ShapeChecks.Matrix("topkWeights", "tokens.Rows", "TopK"));
    }

    private static void WritePermute(SourceWriter writer)
    {
        writer.Summary("Reorders the received rows expert-major, each local expert's rows contiguous, ready for a grouped GEMM.");
        writer.Param("dispatched", "This step's result of <c>Dispatch</c>.");
        writer.Returns("The rows grouped by local expert, with each group's count and first row.");
        writer.Exception(StateException, "<paramref name=\"dispatched\"/> is not this instance's current step.");
        writer.GeneratedCode();
        writer.Open("public global::Ep.EpPermutedBatch Permute(global::Ep.EpDispatchResult dispatched)");
        writer.Line(ShapeChecks.NotNull("dispatched"));
        writer.Line("return " + Runtime + ".Permute(dispatched);");
        writer.Close();
        writer.Line();
    }

    private static void WriteUnpermute(SourceWriter writer, LayerModel layer, Dimensions dims)
    {
        bool zeroCopy = layer.Spec.ZeroCopy;
        writer.Summary(layer.Spec.ApplyWeightsInCombine
            ? "Sums each received row's expert outputs back into the dispatch layout, each multiplied by its routing weight (fp32 accumulation)."
            : "Sums each received row's expert outputs back into the dispatch layout (fp32 accumulation, unweighted).");
        writer.Param("batch", "This step's result of <c>Permute</c>.");
        writer.Param("expertOutput", "[batch.RowCount, " + dims.H + "] expert outputs in the permuted order.");
        writer.Returns(zeroCopy
            ? "[dispatched.RowCount, " + dims.H + "] rows in symmetric memory, to pass to <c>Combine</c>."
            : "[dispatched.RowCount, " + dims.H + "] rows to pass to <c>Combine</c>.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "<paramref name=\"batch\"/> is not this instance's latest Permute.");
        writer.GeneratedCode();
        writer.Open("public " + (zeroCopy ? SymmetricTokens : Tokens) + " Unpermute(global::Ep.EpPermutedBatch batch, " + Tokens + " expertOutput)");
        writer.Line(ShapeChecks.NotNull("batch"));
        writer.Line(ShapeChecks.Matrix("expertOutput", "batch.RowCount", "HiddenSize"));
        if (zeroCopy)
        {
            // The engine allocates a ZeroCopy layer's forward buffers in symmetric memory; a plain one would mean
            // Combine's peers could not read it, so say so instead of failing inside Combine.
            writer.Line("return " + Runtime + ".Unpermute(batch, expertOutput) as " + SymmetricTokens);
            writer.Line("    ?? throw new global::System.InvalidOperationException("
                + CSharpLiterals.Quoted(layer.FullName + ".Unpermute: the engine returned a buffer outside symmetric memory for a ZeroCopy layer.") + ");");
        }
        else
        {
            writer.Line("return " + Runtime + ".Unpermute(batch, expertOutput);");
        }

        writer.Close();
        writer.Line();
    }

    private static void WriteCombine(SourceWriter writer, LayerModel layer, Dimensions dims)
    {
        bool zeroCopy = layer.Spec.ZeroCopy;
        writer.Summary("Returns every received row to the rank that sent its token and sums a token's rows there (fp32 accumulation, rounded to bf16 once). Collective.");
        writer.Param("combineInput", zeroCopy
            ? "[dispatched.RowCount, " + dims.H + "] rows in symmetric memory (peers read them in place), usually the result of <c>Unpermute</c>."
            : "[dispatched.RowCount, " + dims.H + "] rows, usually the result of <c>Unpermute</c>.");
        writer.Returns("[T, " + dims.H + "]: one row per token this rank dispatched; tokens with no expert get zeros.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "Dispatch was not called in this step, or Combine already was.");
        writer.GeneratedCode();
        writer.Open("public " + Tokens + " Combine(" + (zeroCopy ? SymmetricTokens : Tokens) + " combineInput)");
        writer.Line(CurrentDispatch("Combine"));
        writer.Line(ShapeChecks.Matrix("combineInput", "dispatched.RowCount", "HiddenSize"));
        writer.Line("return " + Runtime + ".Combine(combineInput);");
        writer.Close();
        writer.Line();
    }

    private static void WriteCombineBackward(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Gradient of Combine: sends each gradient row of the combined output to every rank that received its token. Collective.");
        writer.Param("gradOutput", "[dispatched.TokenCount, " + dims.H + "] gradient of Combine's result.");
        writer.Returns("[dispatched.RowCount, " + dims.H + "] gradient of Combine's input.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "The forward pass of this step has not reached Combine.");
        writer.GeneratedCode();
        writer.Open("public " + Tokens + " CombineBackward(" + Tokens + " gradOutput)");
        writer.Line(CurrentDispatch("CombineBackward"));
        writer.Line(ShapeChecks.Matrix("gradOutput", "dispatched.TokenCount", "HiddenSize"));
        writer.Line("return " + Runtime + ".CombineBackward(gradOutput);");
        writer.Close();
        writer.Line();
    }

    private static void WriteUnpermuteBackward(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Gradient of Unpermute: of the expert outputs and, when the layer applies routing weights, of the received weights.");
        writer.Param("batch", "This step's result of <c>Permute</c>.");
        writer.Param("expertOutput", "[batch.RowCount, " + dims.H + "] the expert outputs given to Unpermute (needed for the weight gradient).");
        writer.Param("gradCombineInput", "[dispatched.RowCount, " + dims.H + "] gradient of Unpermute's result, e.g. from <c>CombineBackward</c>.");
        writer.Returns("The gradient of the expert outputs and, when weighted, of the received routing weights.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "<paramref name=\"batch\"/> is not this instance's latest Permute, or Unpermute was not called in this step.");
        writer.GeneratedCode();
        writer.Open("public global::Ep.EpUnpermuteGradients UnpermuteBackward(global::Ep.EpPermutedBatch batch, " + Tokens + " expertOutput, " + Tokens + " gradCombineInput)");
        writer.Line(ShapeChecks.NotNull("batch"));
        writer.Line(CurrentDispatch("UnpermuteBackward"));
        writer.Line(ShapeChecks.Matrix("expertOutput", "batch.RowCount", "HiddenSize"));
        writer.Line(ShapeChecks.Matrix("gradCombineInput", "dispatched.RowCount", "HiddenSize"));
        writer.Line("return " + Runtime + ".UnpermuteBackward(batch, expertOutput, gradCombineInput);");
        writer.Close();
        writer.Line();
    }

    private static void WritePermuteBackward(SourceWriter writer, Dimensions dims)
    {
        writer.Summary("Gradient of Permute: sums each expert-major gradient row back into the received row it came from.");
        writer.Param("batch", "This step's result of <c>Permute</c>.");
        writer.Param("gradPermuted", "[batch.RowCount, " + dims.H + "] gradient of the permuted rows.");
        writer.Returns("[dispatched.RowCount, " + dims.H + "] gradient of the received rows.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "<paramref name=\"batch\"/> is not this instance's latest Permute.");
        writer.GeneratedCode();
        writer.Open("public " + Tokens + " PermuteBackward(global::Ep.EpPermutedBatch batch, " + Tokens + " gradPermuted)");
        writer.Line(ShapeChecks.NotNull("batch"));
        writer.Line(ShapeChecks.Matrix("gradPermuted", "batch.RowCount", "HiddenSize"));
        writer.Line("return " + Runtime + ".PermuteBackward(batch, gradPermuted);");
        writer.Close();
        writer.Line();
    }

    private static void WriteDispatchBackward(SourceWriter writer, LayerModel layer, Dimensions dims)
    {
        bool flat = layer.Spec.Layout == EpLayout.Flat;
        writer.Summary("Gradient of Dispatch: returns received-row gradients to the ranks that sent the tokens and sums them per token. Collective.");
        writer.Param("gradReceived", "[dispatched.RowCount, " + dims.H + "] gradient of the received rows.");
        writer.Param("gradReceivedWeights", flat
            ? "Optional [dispatched.RowCount, " + dims.K + "] gradient of the received routing weights (shaped like dispatched.TopkWeights)."
            : "Optional [dispatched.RowCount] gradient of the received routing weights (shaped like dispatched.TopkWeights).");
        writer.Returns("[T, " + dims.H + "] token gradients and, when <paramref name=\"gradReceivedWeights\"/> is given, [T, " + dims.K + "] routing-weight gradients in the original top-k order.");
        writer.Exception(ShapeException, ShapeDoc);
        writer.Exception(StateException, "The forward pass of this step has not reached Combine.");
        writer.GeneratedCode();
        writer.Open("public global::Ep.EpDispatchGradients DispatchBackward(" + Tokens + " gradReceived, global::Ep.DeviceTensor<float>? gradReceivedWeights = null)");
        writer.Line(CurrentDispatch("DispatchBackward"));
        writer.Line(ShapeChecks.Matrix("gradReceived", "dispatched.RowCount", "HiddenSize"));
        writer.Open("if (gradReceivedWeights is not null)");
        writer.Line(flat
            ? ShapeChecks.Matrix("gradReceivedWeights", "dispatched.RowCount", "TopK")
            : ShapeChecks.Vector("gradReceivedWeights", "dispatched.RowCount"));
        writer.Close();
        writer.Line();
        writer.Line("return " + Runtime + ".DispatchBackward(gradReceived, gradReceivedWeights);");
        writer.Close();
        writer.Line();
    }

    /// <summary>Fetches the current step's dispatch result (throwing a state error when there is none) for shape checks.</summary>
    private static string CurrentDispatch(string operation) =>
        "global::Ep.EpDispatchResult dispatched = " + Runtime + ".Dispatched(" + CSharpLiterals.Quoted(operation) + ");";

    /// <summary>The layer's sizes as invariant text, for doc comments.</summary>
    private readonly struct Dimensions
    {
        public Dimensions(EpLayerSpec spec)
        {
            E = CSharpLiterals.Int(spec.Experts);
            K = CSharpLiterals.Int(spec.TopK);
            H = CSharpLiterals.Int(spec.HiddenSize);
            MaxTokens = CSharpLiterals.Int(spec.MaxTokensPerRank);
        }

        public string E { get; }

        public string K { get; }

        public string H { get; }

        public string MaxTokens { get; }
    }
}
