using System;
using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Ep.Generators;
using Ep.GeneratorBench;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

// Times the generator the way the compiler and the IDE run it: a first run over N layers (cold, then warm on a fresh
// driver), and an incremental run after an edit to an unrelated file, which must leave every layer's model and output
// Cached or Unchanged (nothing regenerated).
//   dotnet run -c Release --project bench/Ep.GeneratorBench [-- --layers 200 --repeat 5]
int layers = Option(args, "--layers", 200);
int repeat = Option(args, "--repeat", 5);
var parse = new CSharpParseOptions(LanguageVersion.Preview);
SyntaxTree[] trees = LayerCorpus.Files(layers).Select((text, i) => CSharpSyntaxTree.ParseText(text, parse, path: $"Layers{i}.cs")).ToArray();
SyntaxTree unrelated = CSharpSyntaxTree.ParseText(LayerCorpus.Unrelated, parse, path: "Schedule.cs");
CSharpCompilation compilation = CSharpCompilation.Create("Model", [.. trees, unrelated],
    [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(Ep.ExpertParallelLayerAttribute).Assembly.Location)],
    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create([new ExpertParallelLayerGenerator().AsSourceGenerator()], parseOptions: parse,
    driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

var first = new List<double>();
var incremental = new List<double>();
GeneratorRunResult? lastIncremental = null;
int generatedFiles = 0;
for (int r = 0; r < repeat; r++)
{
    long start = Stopwatch.GetTimestamp();
    GeneratorDriver driver = NewDriver().RunGenerators(compilation);
    first.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    generatedFiles = driver.GetRunResult().Results.Single().GeneratedSources.Length;

    SyntaxTree edited = unrelated.WithChangedText(SourceText.From(LayerCorpus.Unrelated.Replace("1e-3", "2e-3", StringComparison.Ordinal)));
    CSharpCompilation next = compilation.ReplaceSyntaxTree(unrelated, edited);
    start = Stopwatch.GetTimestamp();
    driver = driver.RunGenerators(next);
    incremental.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    lastIncremental = driver.GetRunResult().Results.Single();
}

GeneratorRunResult last = lastIncremental!.Value;
IncrementalStepRunReason[] reasons = last.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
    .SelectMany(step => step.Outputs).Select(o => o.Reason).ToArray();
IncrementalStepRunReason[] outputs = last.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(step => step.Outputs).Select(o => o.Reason).ToArray();
int regenerated = reasons.Count(r => r is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged))
    + outputs.Count(r => r is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ep generator: {layers} layers in {trees.Length} files, {generatedFiles} generated files; {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  first run (new driver)   cold {first[0]:F1} ms, warm median {Median(first.Skip(1)):F1} ms over {repeat - 1} runs ({Median(first.Skip(1)) / layers:F2} ms per layer)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  unrelated edit           median {Median(incremental):F2} ms; model steps {reasons.Length} ({reasons.Count(r => r == IncrementalStepRunReason.Cached)} cached, {reasons.Count(r => r == IncrementalStepRunReason.Unchanged)} unchanged), outputs {outputs.Length}; regenerated: {regenerated}"));
return regenerated == 0 && reasons.Length == layers ? 0 : 1;

static double Median(IEnumerable<double> values)
{
    double[] sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
}

static int Option(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
        ? value
        : i >= 0 ? throw new ArgumentException($"{name} needs a positive integer.", nameof(args)) : fallback;
}
