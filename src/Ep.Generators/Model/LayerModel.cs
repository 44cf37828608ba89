namespace Ep.Generators.Model;

/// <summary>
/// Everything the emitters need to write one layer. Plain values only (no symbols, syntax or compilations),
/// so the incremental pipeline can cache it and compare it by value.
/// </summary>
/// <param name="Namespace">Containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="TypeName">The layer class's name.</param>
/// <param name="Accessibility">C# accessibility keyword(s) of the layer class, e.g. <c>public</c>, or empty when implicit.</param>
/// <param name="Spec">The resolved constants.</param>
internal sealed record LayerModel(
    string Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string TypeName,
    string Accessibility,
    EpLayerSpec Spec)
{
    /// <summary>Namespace-qualified name with containing types, e.g. <c>My.Models.Outer.DeepSeekMoe</c>.</summary>
    public string FullName
    {
        get
        {
            var prefix = Namespace.Length == 0 ? string.Empty : Namespace + ".";
            foreach (ContainingType type in ContainingTypes)
            {
                prefix += type.Name + ".";
            }

            return prefix + TypeName;
        }
    }
}

/// <summary>A type the layer is nested in.</summary>
/// <param name="Keyword">class, struct, record, record struct or interface.</param>
/// <param name="Name">Its name.</param>
internal sealed record ContainingType(string Keyword, string Name);
