using System;
using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>The benchmark's boundary marks refuse a boundary outside their count before any CUDA event is created.</summary>
public sealed class NcclEpMarksTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(NcclEpMarks.StepBoundaries)]
    public void Marks_that_record_only_some_boundaries_refuse_one_outside_the_count(int boundary)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => NcclEpMarks.Only(NcclEpMarks.StepBoundaries, 0, boundary));
        Assert.Equal("recorded", error.ParamName);
        Assert.Equal(boundary, error.ActualValue);
    }
}
