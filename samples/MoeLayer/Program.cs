using Ep;

[ExpertParallelLayer(Experts = 8, TopK = 2, HiddenSize = 64, MaxTokensPerRank = 32)]
public partial class SmallMoe;

public static class Program
{
    public static void Main() => System.Console.WriteLine(SmallMoe.PlanMemory(4));
}
