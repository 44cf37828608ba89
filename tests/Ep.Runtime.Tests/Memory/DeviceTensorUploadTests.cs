using System;
using Xunit;

namespace Ep.Runtime.Tests.Memory;

public sealed class DeviceTensorUploadTests
{
    [Fact]
    public void Upload_copies_the_rows_into_a_new_tensor_of_that_shape()
    {
        float[] data = [1f, 2f, 3f, 4f, 5f, 6f];

        using DeviceTensor<float> tensor = DeviceTensor.Upload(EpDevice.Cpu, data, rows: 2, columns: 3);

        Assert.Equal((2, 3), (tensor.Rows, tensor.Columns));
        Assert.Equal(data, tensor.ToArray());
        data[0] = 9f;
        Assert.Equal(1f, tensor.ToArray()[0]);
    }

    [Fact]
    public void Zero_rows_take_an_empty_array()
    {
        using DeviceTensor<long> tensor = DeviceTensor.Upload(EpDevice.Cpu, Array.Empty<long>(), rows: 0, columns: 8);

        Assert.Equal((0, 8), (tensor.Rows, tensor.Columns));
    }

    [Fact]
    public void A_length_that_is_not_rows_times_columns_names_the_argument_and_both_sizes()
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceTensor.Upload(EpDevice.Cpu, new float[5], rows: 2, columns: 3));

        Assert.Equal("data", error.ParamName);
        Assert.Contains("5 elements", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", error.Message, StringComparison.Ordinal);
    }
}
