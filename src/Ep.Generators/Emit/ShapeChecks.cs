namespace Ep.Generators.Emit;

/// <summary>
/// Source lines of the <c>global::Ep.EpShape</c> checks that generated operations inline. Each check names the
/// argument and what the expected size means (e.g. <c>HiddenSize</c>, <c>tokens.Rows</c>), which the exception repeats.
/// </summary>
internal static class ShapeChecks
{
    private const string Shape = "global::Ep.EpShape.";

    public static string Matrix(string name, string rows, string rowsMeaning, string columns, string columnsMeaning) =>
        Shape + "RequireMatrix(" + name + ", nameof(" + name + "), " + rows + ", " + CSharpLiterals.Quoted(rowsMeaning) + ", "
        + columns + ", " + CSharpLiterals.Quoted(columnsMeaning) + ");";

    /// <summary>A matrix whose expected size expressions are also what the message calls them (e.g. <c>batch.RowCount</c>).</summary>
    public static string Matrix(string name, string rows, string columns) => Matrix(name, rows, rows, columns, columns);

    public static string Vector(string name, string length) =>
        Shape + "RequireVector(" + name + ", nameof(" + name + "), " + length + ", " + CSharpLiterals.Quoted(length) + ");";

    public static string Dimensions(string name, int dimensions) =>
        Shape + "RequireDimensions(" + name + ", nameof(" + name + "), " + CSharpLiterals.Int(dimensions) + ");";

    public static string Columns(string name, string columns) =>
        Shape + "RequireColumns(" + name + ", nameof(" + name + "), " + columns + ", " + CSharpLiterals.Quoted(columns) + ");";

    public static string RowsAtMost(string name, string maxRows) =>
        Shape + "RequireRowsAtMost(" + name + ", nameof(" + name + "), " + maxRows + ", " + CSharpLiterals.Quoted(maxRows) + ");";

    public static string NotNull(string name) => "global::System.ArgumentNullException.ThrowIfNull(" + name + ");";
}
