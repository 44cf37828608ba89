using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>
/// NcclEp's Dispatch results come from two slots in turn (no allocation once both exist): the previous step's result
/// stays a distinct object with its own counts (so EpLayerRuntime refuses it), and a result two steps old is renewed.
/// </summary>
public sealed class NcclEpResultSlotsTests
{
    [Fact]
    public void Results_alternate_between_two_slots_and_are_renewed_in_place()
    {
        var slots = new NcclEpResultSlots(localExperts: 2);
        using DeviceTensor<BFloat16> rows = DeviceTensor<BFloat16>.Allocate(EpDevice.Cpu, 4, 8);
        using DeviceTensor<float> weights = DeviceTensor<float>.Allocate(EpDevice.Cpu, 4);

        (int[] counts1, int[] offsets1) = slots.Next();
        counts1[0] = 3;
        EpDispatchResult step1 = slots.Result(1, EpLayout.ExpertMajor, rows, null, weights, tokenCount: 5);
        (int[] counts2, _) = slots.Next();
        counts2[0] = 7;
        EpDispatchResult step2 = slots.Result(2, EpLayout.ExpertMajor, rows.SliceRows(0, 2), null, weights, tokenCount: 6);

        Assert.NotSame(step1, step2);
        Assert.NotSame(counts1, counts2);
        Assert.Equal((1L, 3, 5), (step1.Step, step1.ExpertCounts[0], step1.TokenCount)); // untouched by step 2
        Assert.Equal((2L, 7, 2), (step2.Step, step2.ExpertCounts[0], step2.RowCount));

        (int[] counts3, int[] offsets3) = slots.Next();
        Assert.Same(counts1, counts3);
        Assert.Same(offsets1, offsets3);
        EpDispatchResult step3 = slots.Result(3, EpLayout.ExpertMajor, rows, null, weights, tokenCount: 1);
        Assert.Same(step1, step3);
        Assert.Equal((3L, 1), (step3.Step, step3.TokenCount));
    }
}
