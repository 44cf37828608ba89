using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Ep.Generators.Model;
using Ep.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Ep.Generators.Tests.Caching;

/// <summary>
/// The pipeline's model must hold plain values only. A symbol, syntax node or compilation inside it would keep a
/// whole compilation alive between runs and make equality (and so caching) fail on every edit.
/// </summary>
public sealed class LayerModelPurityTests
{
    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(Location),
        typeof(SemanticModel), typeof(AttributeData), typeof(SyntaxReference),
    };

    [Fact]
    public void No_field_type_reachable_from_the_model_is_a_compiler_object()
    {
        var seen = new HashSet<Type>();
        AssertTypeIsPlain(typeof(LayerModel), "LayerModel", seen);
        Assert.Contains(typeof(EpLayerSpec), seen); // the walk does reach into the spec
    }

    [Fact]
    public void No_value_in_generated_models_is_a_compiler_object()
    {
        GeneratorRun run = GeneratorHarness.Run(LayerSources.Nested, LayerSources.ZeroCopy);
        object[] models = run.Result.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
            .SelectMany(step => step.Outputs)
            .Select(output => output.Value)
            .ToArray();

        Assert.Equal(2, models.Length);
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (object model in models)
        {
            Assert.IsType<LayerModel>(model);
            AssertValueIsPlain(model, "model", visited);
        }
    }

    [Fact]
    public void Models_of_the_same_source_are_equal_across_compilations()
    {
        LayerModel first = SingleModel(GeneratorHarness.Run(LayerSources.Nested));
        LayerModel second = SingleModel(GeneratorHarness.Run(LayerSources.Nested));

        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private static LayerModel SingleModel(GeneratorRun run) => (LayerModel)run.Result.TrackedSteps[ExpertParallelLayerGenerator.ModelStep]
        .SelectMany(step => step.Outputs).Single().Value;

    private static void AssertTypeIsPlain(Type type, string where, HashSet<Type> seen)
    {
        Assert.False(IsForbidden(type), $"{where} has type {type}, a compiler object");
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || !seen.Add(type))
        {
            return;
        }

        if (type.HasElementType)
        {
            AssertTypeIsPlain(type.GetElementType()!, where + "[]", seen);
        }

        foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
        {
            AssertTypeIsPlain(argument, where + "<" + argument.Name + ">", seen);
        }

        foreach (FieldInfo field in InstanceFields(type))
        {
            AssertTypeIsPlain(field.FieldType, where + "." + field.Name, seen);
        }
    }

    private static void AssertValueIsPlain(object? value, string where, HashSet<object> visited)
    {
        if (value is null)
        {
            return;
        }

        Type type = value.GetType();
        Assert.False(IsForbidden(type), $"{where} holds a {type}, a compiler object");
        if (type.IsPrimitive || type.IsEnum || value is string || (!type.IsValueType && !visited.Add(value)))
        {
            return;
        }

        if (value is IEnumerable items and not string)
        {
            int i = 0;
            foreach (object? item in items)
            {
                AssertValueIsPlain(item, where + "[" + i++ + "]", visited);
            }
        }

        foreach (FieldInfo field in InstanceFields(type))
        {
            AssertValueIsPlain(field.GetValue(value), where + "." + field.Name, visited);
        }
    }

    private static bool IsForbidden(Type type) => Forbidden.Any(forbidden => forbidden.IsAssignableFrom(type));

    private static IEnumerable<FieldInfo> InstanceFields(Type type)
    {
        for (Type? current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (FieldInfo field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                yield return field;
            }
        }
    }
}
