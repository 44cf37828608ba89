using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Ep.GeneratorBench;

/// <summary>Source files declaring many distinct, valid layers, as a large model's code base would.</summary>
internal static class LayerCorpus
{
    private static readonly int[] Hidden = [2048, 4096, 5120, 7168];

    /// <summary><paramref name="count"/> layers spread over files of ten, each with its own constants.</summary>
    public static string[] Files(int count)
    {
        var files = new List<string>();
        var file = new StringBuilder("using Ep;\nnamespace Model.Layers;\n");
        for (int i = 0; i < count; i++)
        {
            int experts = 64 << (i % 3);
            bool expertMajor = i % 4 == 1;
            file.Append(string.Create(CultureInfo.InvariantCulture,
                $"[ExpertParallelLayer(Experts = {experts}, TopK = {2 + i % 7}, HiddenSize = {Hidden[i % Hidden.Length]}, MaxTokensPerRank = {512 * (1 + i % 8)}"))
                .Append(expertMajor ? ", Layout = EpLayout.ExpertMajor, ExpertAlignment = 16, Ranks = 8" : string.Empty)
                .Append(i % 5 == 2 ? ", ApplyWeightsInCombine = true" : string.Empty)
                .Append(string.Create(CultureInfo.InvariantCulture, $")]\npublic partial class Moe{i};\n"));
            if (i % 10 == 9)
            {
                files.Add(file.ToString());
                file = new StringBuilder("using Ep;\nnamespace Model.Layers;\n");
            }
        }

        if (count % 10 != 0)
        {
            files.Add(file.ToString());
        }

        return [.. files];
    }

    /// <summary>A file unrelated to any layer: the edit an IDE sees on most keystrokes.</summary>
    public const string Unrelated = "namespace Model.Training;\npublic static class Schedule\n{\n    public static double Rate(int step) => 1e-3 / (1 + step);\n}\n";
}
