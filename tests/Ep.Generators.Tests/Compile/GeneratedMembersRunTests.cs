using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Ep.Generators.Emit;
using Ep.Generators.Model;
using Ep.Generators.Tests.Support;
using Xunit;

namespace Ep.Generators.Tests.Compile;

/// <summary>
/// Runs the generated members of a compiled layer: the static values, and the shape checks that Dispatch performs
/// before it touches the runtime (so they need no group or engine).
/// </summary>
public sealed class GeneratedMembersRunTests
{
    private const string Source = """
        using Ep;

        namespace App
        {
            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, RecvCapacityPerRank = 96,
                Layout = EpLayout.ExpertMajor, ExpertAlignment = 4, MemoryBudgetGiB = 0.25)]
            public partial class SmallMoe;

            [ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, ZeroCopy = true)]
            public partial class SmallZeroCopyMoe;
        }
        """;

    private static readonly Lazy<(Assembly Assembly, LayerModel Model)> Compiled = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        LayerModel model = run.Result.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
            .SelectMany(step => step.Outputs).Select(output => (LayerModel)output.Value).Single(m => m.TypeName == "SmallMoe");
        return (EmittedAssembly.Load(run.Output), model);
    });

    private static Type Layer => Compiled.Value.Assembly.GetType("App.SmallMoe", throwOnError: true)!;

    private static readonly EpLayerSpec ExpectedSpec = new()
    {
        Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32, RecvCapacityPerRank = 96,
        Layout = EpLayout.ExpertMajor, ExpertAlignment = 4, MemoryBudgetGiB = 0.25,
    };

    [Fact]
    public void Spec_holds_every_declared_constant()
    {
        Assert.Equal(ExpectedSpec, StaticProperty<EpLayerSpec>("Spec"));
    }

    [Fact]
    public void Constants_hold_the_declared_and_effective_values()
    {
        Assert.Equal(8, Constant("Experts"));
        Assert.Equal(2, Constant("TopK"));
        Assert.Equal(64, Constant("HiddenSize"));
        Assert.Equal(32, Constant("MaxTokensPerRank"));
        Assert.Equal(96, Constant("RecvCapacityPerRank"));
        Assert.Equal(4, Constant("ExpertAlignment"));
        Assert.Equal(0, Constant("Ranks"));
        Assert.Equal(false, Constant("ApplyWeightsInCombine"));
        Assert.Equal(false, Constant("ZeroCopy"));
        Assert.Equal((int)EpLayout.ExpertMajor, Constant("Layout"));
        Assert.Equal((int)EpAlgorithm.HighThroughput, Constant("Algorithm"));
        Assert.Equal((int)EpPayload.BFloat16, Constant("Payload"));
    }

    [Fact]
    public void PlanMemory_is_the_runtime_planner_applied_to_Spec()
    {
        MethodInfo plan = Layer.GetMethod("PlanMemory")!;

        Assert.Equal(EpLayerMemory.Plan(ExpectedSpec, 4), plan.Invoke(null, new object[] { 4 }));
    }

    [Fact]
    public void KernelSource_is_the_assembled_cuda_text()
    {
        Assert.Equal(CudaSourceBuilder.Build(Compiled.Value.Model), StaticProperty<string>("KernelSource"));
    }

    [Fact]
    public void Zero_copy_signatures_use_symmetric_tensors_only_where_peers_touch_memory()
    {
        Type zeroCopy = Compiled.Value.Assembly.GetType("App.SmallZeroCopyMoe", throwOnError: true)!;

        Assert.Equal(typeof(SymmetricTensor<BFloat16>), zeroCopy.GetMethod("Combine")!.GetParameters().Single().ParameterType);
        Assert.Equal(typeof(SymmetricTensor<BFloat16>), zeroCopy.GetMethod("Unpermute")!.ReturnType);
        Assert.Equal(typeof(DeviceTensor<BFloat16>), zeroCopy.GetMethod("CombineBackward")!.GetParameters().Single().ParameterType);
        Assert.Equal(typeof(DeviceTensor<BFloat16>), Layer.GetMethod("Combine")!.GetParameters().Single().ParameterType);
        Assert.True(typeof(IDisposable).IsAssignableFrom(zeroCopy));
    }

    [Theory]
    [InlineData(4, 32, 4, 2, 4, 2, "tokens", "columns (HiddenSize)", 64, 32)]
    [InlineData(33, 64, 33, 2, 33, 2, "tokens", "at most rows (MaxTokensPerRank)", 32, 33)]
    [InlineData(4, 64, 3, 2, 4, 2, "topkIdx", "rows (tokens.Rows)", 4, 3)]
    [InlineData(4, 64, 4, 3, 4, 2, "topkIdx", "columns (TopK)", 2, 3)]
    [InlineData(4, 64, 4, 2, 5, 2, "topkWeights", "rows (tokens.Rows)", 4, 5)]
    [InlineData(4, 64, 4, 2, 4, 1, "topkWeights", "columns (TopK)", 2, 1)]
    public void Dispatch_rejects_a_wrong_shape_with_the_numbers(
        int tokenRows, int hidden, int idxRows, int idxColumns, int weightRows, int weightColumns,
        string parameter, string what, long expected, long actual)
    {
        EpShapeException error = Assert.Throws<EpShapeException>(() => Dispatch(
            DeviceTensor<BFloat16>.FromArray(new BFloat16[tokenRows * hidden], tokenRows, hidden),
            DeviceTensor<long>.FromArray(new long[idxRows * idxColumns], idxRows, idxColumns),
            DeviceTensor<float>.FromArray(new float[weightRows * weightColumns], weightRows, weightColumns)));

        Assert.Equal(parameter, error.ParamName);
        Assert.Equal(what, error.What);
        Assert.Equal(expected, error.Expected);
        Assert.Equal(actual, error.Actual);
    }

    [Fact]
    public void Dispatch_rejects_one_dimensional_tokens()
    {
        EpShapeException error = Assert.Throws<EpShapeException>(() => Dispatch(
            DeviceTensor<BFloat16>.FromArray(new BFloat16[64]),
            DeviceTensor<long>.FromArray(new long[2], 1, 2),
            DeviceTensor<float>.FromArray(new float[2], 1, 2)));

        Assert.Equal("dimensions", error.What);
        Assert.Equal(2, error.Expected);
        Assert.Equal(1, error.Actual);
    }

    [Fact]
    public void Dispatch_and_Permute_reject_null_arguments_by_name()
    {
        Assert.Equal("tokens", Assert.Throws<ArgumentNullException>(() => Dispatch(
            null, DeviceTensor<long>.FromArray(new long[2], 1, 2), DeviceTensor<float>.FromArray(new float[2], 1, 2))).ParamName);
        Assert.Equal("dispatched", Assert.Throws<ArgumentNullException>(() => Invoke("Permute", new object?[] { null })).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentNullException>(() => Invoke("Unpermute", new object?[] { null, null })).ParamName);
    }

    [Fact]
    public void Dispatch_with_correct_shapes_passes_every_check_and_reaches_the_runtime()
    {
        // The instance is made without its constructor, so it has no runtime: reaching the runtime call shows as a
        // NullReferenceException, which a shape check failing would have pre-empted. Zero tokens and full batches pass.
        Assert.Throws<NullReferenceException>(() => Dispatch(
            DeviceTensor<BFloat16>.FromArray(new BFloat16[32 * 64], 32, 64),
            DeviceTensor<long>.FromArray(new long[32 * 2], 32, 2),
            DeviceTensor<float>.FromArray(new float[32 * 2], 32, 2)));
        Assert.Throws<NullReferenceException>(() => Dispatch(
            DeviceTensor<BFloat16>.FromArray(Array.Empty<BFloat16>(), 0, 64),
            DeviceTensor<long>.FromArray(Array.Empty<long>(), 0, 2),
            DeviceTensor<float>.FromArray(Array.Empty<float>(), 0, 2)));
    }

    [Theory]
    [InlineData(4, 3, 4, 2, "topkIdx", "columns (TopK)", 2, 3)]
    [InlineData(33, 2, 33, 2, "topkIdx", "at most rows (MaxTokensPerRank)", 32, 33)]
    [InlineData(4, 2, 5, 2, "topkWeights", "rows (topkIdx.Rows)", 4, 5)]
    [InlineData(4, 2, 4, 1, "topkWeights", "columns (TopK)", 2, 1)]
    public void PrepareDispatch_rejects_a_wrong_shape_with_the_numbers(
        int idxRows, int idxColumns, int weightRows, int weightColumns, string parameter, string what, long expected, long actual)
    {
        EpShapeException error = Assert.Throws<EpShapeException>(() => Invoke("PrepareDispatch", new object?[]
        {
            DeviceTensor<long>.FromArray(new long[idxRows * idxColumns], idxRows, idxColumns),
            DeviceTensor<float>.FromArray(new float[weightRows * weightColumns], weightRows, weightColumns),
        }));

        Assert.Equal((parameter, what, expected, actual), (error.ParamName, error.What, error.Expected, error.Actual));
    }

    [Fact]
    public void A_prepared_Dispatch_checks_the_tokens_against_the_routing()
    {
        object routing = PreparedRouting(tokenCount: 3);
        EpShapeException rows = Assert.Throws<EpShapeException>(() => Invoke("Dispatch", new object?[]
        {
            DeviceTensor<BFloat16>.FromArray(new BFloat16[4 * 64], 4, 64), routing,
        }));
        Assert.Equal(("tokens", "rows (routing.TokenCount)", 3L, 4L), (rows.ParamName, rows.What, rows.Expected, rows.Actual));

        EpShapeException columns = Assert.Throws<EpShapeException>(() => Invoke("Dispatch", new object?[]
        {
            DeviceTensor<BFloat16>.FromArray(new BFloat16[3 * 32], 3, 32), routing,
        }));
        Assert.Equal(("tokens", "columns (HiddenSize)", 64L, 32L), (columns.ParamName, columns.What, columns.Expected, columns.Actual));

        // Right shapes reach the runtime, which the uninitialized instance lacks.
        Assert.Throws<NullReferenceException>(() => Invoke("Dispatch", new object?[]
        {
            DeviceTensor<BFloat16>.FromArray(new BFloat16[3 * 64], 3, 64), routing,
        }));
    }

    private static object? Dispatch(DeviceTensor<BFloat16>? tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights) =>
        Invoke("Dispatch", new object?[] { tokens, topkIdx, topkWeights });

    /// <summary>A prepared routing of <paramref name="tokenCount"/> rows and no layer (its constructor is the runtime's).</summary>
    private static object PreparedRouting(int tokenCount) => typeof(EpPreparedRouting)
        .GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Single()
        .Invoke(new object?[] { null, 1L, tokenCount });

    /// <summary>Calls the generated <paramref name="method"/> overload that takes as many arguments (Dispatch has two).</summary>
    private static object? Invoke(string method, object?[] arguments) => Layer.GetMethods()
        .Single(m => m.Name == method && m.GetParameters().Length == arguments.Length)
        .Invoke(RuntimeHelpers.GetUninitializedObject(Layer), BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);

    private static T StaticProperty<T>(string name) => (T)Layer.GetProperty(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static object? Constant(string name) => Layer.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue();
}
