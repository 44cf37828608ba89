using System;
using System.Collections.Generic;
using System.CommandLine;
using Ep.Tool.Plan;

namespace Ep.Tool;

/// <summary><c>ep plan</c>: the receive memory per rank of a layer for each layout and algorithm. Pure: no native library is touched.</summary>
internal static class PlanCommand
{
    public static Command Create(ToolConsole console)
    {
        var layer = new LayerOptions(required: true);
        var json = new Option<bool>("--json") { Description = "Print only JSON" };
        var command = new Command("plan", "Receive memory per rank for each layout and algorithm, with the rules broken at that rank count (EP0013 and the others)");
        layer.AddTo(command);
        command.Options.Add(json);
        command.SetAction(result =>
        {
            var problems = new List<string>();
            EpLayerSpec? spec = layer.ToSpec(result, problems);
            int? ranks = result.GetValue(layer.Ranks);
            if (ranks is null or <= 0)
            {
                problems.Add("--ranks must be a positive rank count (the plan is per rank).");
            }

            if (spec is null || problems.Count > 0)
            {
                return ToolExit.Usage(console, problems);
            }

            MemoryPlanReport report;
            try
            {
                report = MemoryPlanBuilder.Build(spec, ranks!.Value, result.GetValue(layer.Layout), result.GetValue(layer.Algorithm));
            }
            catch (ArgumentException e)
            {
                return ToolExit.Usage(console, [e.Message]);
            }

            if (result.GetValue(json))
            {
                console.Out.WriteLine(ToolJson.Serialize(report));
            }
            else
            {
                MemoryPlanTableWriter.Write(console.Rich(), report);
            }

            return ToolExit.Success;
        });
        return command;
    }
}
