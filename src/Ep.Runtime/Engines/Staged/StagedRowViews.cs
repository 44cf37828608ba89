namespace Ep.Engines.Staged;

/// <summary>
/// Row views of one of a layer's buffers, as results hand them out: the last view is kept and handed out again while the
/// row count stays the same, so a steady step allocates no view. A symmetric buffer's views keep its type (ZeroCopy
/// signatures need it). Views own nothing, so handing the same one out twice is safe.
/// </summary>
internal sealed class StagedRowViews<T>
    where T : unmanaged
{
    private readonly DeviceTensor<T> _buffer;
    private DeviceTensor<T>? _last;

    public StagedRowViews(DeviceTensor<T> buffer) => _buffer = buffer;

    /// <summary>The first <paramref name="rows"/> rows of the buffer.</summary>
    public DeviceTensor<T> Rows(int rows)
    {
        if (_last is { } last && last.Rows == rows)
        {
            return last;
        }

        DeviceTensor<T> view = _buffer is SymmetricTensor<T> symmetric ? symmetric.SliceRows(0, rows) : _buffer.SliceRows(0, rows);
        _last = view;
        return view;
    }
}
