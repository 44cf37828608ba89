using Xunit;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>One test per class-shape rule: the span is the name or modifier that has to change.</summary>
public sealed class ShapeDiagnosticTests
{
    private const string Attribute = "[ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]";

    [Fact]
    public void EP0001_a_class_that_is_not_partial_is_reported_at_its_name() => AnalyzerHarness.Verify($$"""
        using Ep;
        {{Attribute}}
        public class {|EP0001:Moe|} { }
        """, new Expected("EP0001", "Moe"));

    [Fact]
    public void EP0002_a_containing_type_that_is_not_partial_is_reported_at_that_type_s_name() => AnalyzerHarness.Verify($$"""
        using Ep;
        public class {|EP0002:Outer|}
        {
            {{Attribute}}
            public partial class Moe { }
        }
        """, new Expected("EP0002", "Moe", "Outer"));

    [Fact]
    public void EP0003_a_generic_layer_is_reported_at_its_name() => AnalyzerHarness.Verify($$"""
        using Ep;
        {{Attribute}}
        public partial class {|EP0003:Moe|}<T> { }
        """, new Expected("EP0003", "Moe"));

    [Fact]
    public void EP0003_a_layer_in_a_generic_type_is_reported_at_the_generic_type_s_name() => AnalyzerHarness.Verify($$"""
        using Ep;
        public partial class {|EP0003:Outer|}<T>
        {
            {{Attribute}}
            public partial class Moe { }
        }
        """, new Expected("EP0003", "Moe"));

    [Fact]
    public void EP0022_a_static_layer_is_reported_at_the_static_modifier() => AnalyzerHarness.Verify($$"""
        using Ep;
        {{Attribute}}
        public {|EP0022:static|} partial class Moe { }
        """, new Expected("EP0022", "Moe"));

    [Fact]
    public void EP0023_a_record_layer_is_reported_at_the_record_keyword() => AnalyzerHarness.Verify($$"""
        using Ep;
        {{Attribute}}
        public partial {|EP0023:record|} Moe { }
        """, new Expected("EP0023", "Moe"));

    [Fact]
    public void EP0024_a_primary_constructor_is_reported_at_its_parameter_list() => AnalyzerHarness.Verify($$"""
        using Ep;
        {{Attribute}}
        public partial class Moe{|EP0024:(int size)|}
        {
            public int Size => size;
        }
        """, new Expected("EP0024", "Moe"));

    [Fact]
    public void EP0025_a_file_local_layer_is_reported_at_the_file_modifier() => AnalyzerHarness.Verify($$"""
        using Ep;
        {{Attribute}}
        {|EP0025:file|} partial class Moe { }
        """, new Expected("EP0025", "Moe"));
}
